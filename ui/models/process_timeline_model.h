#pragma once

#include "trace_update.h"

#include <QAbstractTableModel>
#include <QColor>
#include <vector>

namespace forkscope {

class TraceData;

/// One row per process, in the order they appeared: its name, pid, and its state at the
/// playhead. The timeline plot draws each row's phase history (TraceData::phases()) in the
/// same order, so the table and the picture agree.
class ProcessTimelineModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { NameColumn, PidColumn, StateColumn, DetailColumn, ColumnCount };
    static constexpr int PidRole = Qt::UserRole + 1;
    static constexpr int PhaseRole = Qt::UserRole + 2;

    explicit ProcessTimelineModel(const TraceData& data, QObject* parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

    void setTime(std::int64_t t);
    [[nodiscard]] std::int64_t time() const noexcept { return time_; }
    [[nodiscard]] std::int32_t pidAt(int row) const { return pids_.at(static_cast<std::size_t>(row)); }
    [[nodiscard]] const std::vector<std::int32_t>& pids() const noexcept { return pids_; }
    [[nodiscard]] const std::vector<PhaseChange>& phasesOf(std::int32_t pid) const;
    [[nodiscard]] const TraceData& traceData() const noexcept { return data_; }

    /// The colour of a phase on the timeline (zombie: a loud red, reaped: faint grey).
    [[nodiscard]] static QColor phaseColor(ProcessPhase phase, bool highContrast = false);
    /// "running", "blocked", "ZOMBIE", ...
    [[nodiscard]] static QString phaseLabel(ProcessPhase phase);
    /// Tooltip text for a phase: what it was blocked on, in words.
    [[nodiscard]] QString describePhase(const PhaseChange& phase) const;

private:
    void refreshRows();

    const TraceData& data_;
    std::vector<std::int32_t> pids_;
    std::int64_t time_ = 0;
};

} // namespace forkscope
