#pragma once

#include <QTimer>
#include <QWidget>
#include <map>
#include <vector>

class QCustomPlot;
class QCPAxisRect;
class QCPItemStraightLine;
class QCPItemRect;
class QCPTextElement;
class QCPLegend;
class QCPLayoutGrid;
class QCPLayer;

namespace forkscope {

class TraceSession;
class ProcessTimelineModel;
class TimelinePlottable;

/// The live plots, stacked on one shared time axis (seconds from the start of the run):
/// the process timeline, queue depth and pipe fill against the pipe's capacity, lock
/// wait/hold times and, when the trace has a pool, its busy workers and tasks per second. A playhead line
/// crosses all three; what lies after it is veiled. Mouse wheel zooms and dragging pans the time axis (all
/// plots together); a double click resets. Redraws at most every 33 ms, and only when something changed.
class PlotsView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = 33;

    PlotsView(TraceSession& session, const ProcessTimelineModel& timeline, QWidget* parent = nullptr);

    void setPresentation(bool on);
    /// Saves the plots as PNG (`scale`×) or PDF (by the file's suffix); false on failure.
    bool exportTo(const QString& path, double scale = 2.0);
    [[nodiscard]] QCustomPlot* plot() const noexcept { return plot_; }
    /// The visible time window (seconds); the auto range follows the trace until the user zooms.
    [[nodiscard]] std::pair<double, double> timeWindow() const;
    [[nodiscard]] int replotCount() const noexcept { return replots_; }
    /// How long the last redraw took (the benchmark of the GUI's frame budget).
    [[nodiscard]] qint64 lastReplotMs() const noexcept { return lastReplotMs_; }

    /// The pool plot (busy workers, tasks/s): in the layout only while the trace has a pool.
    [[nodiscard]] QCPAxisRect* poolRect() const noexcept { return poolRect_; }
    [[nodiscard]] bool poolPlotShown() const noexcept { return poolShown_; }
    /// Events the last redraw showed (0: it drew an empty trace).
    [[nodiscard]] std::size_t replotEvents() const noexcept { return replotEvents_; }

public Q_SLOTS:
    void resetZoom();
    /// Redraws now if anything changed (the refresh timer calls it; the GUI benchmark too).
    void refresh();

private:
    void rebuildSeries();
    void showPoolPlot(bool show);
    void updatePlayhead();
    void applyStyle();
    void onMouseMove(QMouseEvent* event);
    void syncTimeAxes(QCPAxisRect* source);

    TraceSession& session_;
    const ProcessTimelineModel& timeline_;
    QCustomPlot* plot_ = nullptr;
    QCPAxisRect* processRect_ = nullptr;
    QCPAxisRect* queueRect_ = nullptr;
    QCPAxisRect* lockRect_ = nullptr;
    QCPAxisRect* poolRect_ = nullptr;
    std::vector<QCPLayoutGrid*> headers_;
    TimelinePlottable* timelinePlottable_ = nullptr;
    std::vector<QCPTextElement*> titles_;
    std::map<QCPAxisRect*, QCPLegend*> legends_;
    std::vector<QCPItemStraightLine*> playheads_;
    std::vector<QCPItemRect*> veils_;
    QTimer refreshTimer_;
    bool seriesDirty_ = true;
    bool dirty_ = true;         ///< everything must be drawn again
    bool playheadDirty_ = true; ///< only the playhead moved
    QCPLayer* timelineLayer_ = nullptr;
    QCPLayer* playheadLayer_ = nullptr;
    bool autoRange_ = true;
    bool syncing_ = false;
    bool presentation_ = false;
    bool poolShown_ = false;
    int replots_ = 0;
    qint64 lastReplotMs_ = 0;
    std::size_t replotEvents_ = 0;
};

} // namespace forkscope
