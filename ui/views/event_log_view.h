#pragma once

#include <QTimer>
#include <QWidget>
#include <set>

class QComboBox;
class QCheckBox;
class QTableView;

namespace forkscope {

class TraceSession;
class EventLogModel;

/// The event log: a table of every event (time, process, kind, object, what it means), filters
/// by process, object and kind, and a "follow the playhead" switch that keeps the current event
/// selected and in view. Clicking a row moves the playhead to that event.
class EventLogView : public QWidget {
    Q_OBJECT
public:
    EventLogView(TraceSession& session, EventLogModel& model, QWidget* parent = nullptr);

    [[nodiscard]] QTableView* table() const noexcept { return table_; }
    [[nodiscard]] int currentRow() const;
    /// Selects the event at the playhead now (a timer does it every 50 ms after a move; the GUI
    /// benchmark calls it to measure a whole frame).
    void followPlayhead();

private:
    void refillFilters();
    void applyFilter();

    TraceSession& session_;
    EventLogModel& model_;
    QComboBox* process_ = nullptr;
    QComboBox* object_ = nullptr;
    QComboBox* kind_ = nullptr;
    QCheckBox* follow_ = nullptr;
    QTableView* table_ = nullptr;
    QTimer followTimer_;
    std::set<std::uint16_t> kinds_;
    std::size_t kindsScanned_ = 0;
    bool positionDirty_ = false;
    bool selecting_ = false;
};

} // namespace forkscope
