#pragma once

#include "events/event.h"

#include <QAbstractTableModel>
#include <vector>

namespace forkscope {

class TraceData;

/// The event log: one row per event of the trace (as it grows), optionally filtered by process,
/// object and kind. Without a filter no index is kept (a row is the event); with one, the
/// indices of the matching events.
class EventLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TimeColumn, ProcessColumn, KindColumn, ObjectColumn, DescriptionColumn, ColumnCount };
    static constexpr int EventIndexRole = Qt::UserRole + 1; ///< the row's index into TraceData::events()

    explicit EventLogModel(const TraceData& data, QObject* parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

    /// 0 / EventType::None: no filter on that field.
    void setFilter(std::int32_t pid, std::uint64_t object, EventType kind);
    [[nodiscard]] bool filtered() const noexcept {
        return pid_ != 0 || object_ != 0 || kind_ != EventType::None;
    }
    [[nodiscard]] std::size_t eventIndex(int row) const;
    /// The last row whose event is at or before event index `eventIndex` (-1: none).
    [[nodiscard]] int rowAtOrBefore(std::ptrdiff_t eventIndex) const;

private:
    [[nodiscard]] bool matches(const Event& e) const;
    void onAppended(std::size_t first, std::size_t last);
    void rebuild();

    const TraceData& data_;
    std::int32_t pid_ = 0;
    std::uint64_t object_ = 0;
    EventType kind_ = EventType::None;
    std::vector<std::size_t> rows_; ///< only while filtered()
    std::size_t shown_ = 0;         ///< events covered (unfiltered: the row count)
};

} // namespace forkscope
