#pragma once

#include "models/scenario_library_model.h"
#include "session/launch_options.h"
#include "session/scenario_runner.h"
#include "session/trace_session.h"

#include <QMainWindow>
#include <QProcess>

class QAction;
class QDockWidget;
class QLabel;
class QProgressBar;
class QTabWidget;
class QSplitter;
class QTableView;

namespace forkscope {

class ComparisonModel;
class ComparisonView;
class EventLogModel;
class EventLogView;
class PlotsView;
class ProcessTimelineModel;
class RunPanel;
class ScenarioLibraryView;
class TransportBar;
class WaitForGraphView;

/// The desktop app's window: the scenario library and run panel on the left; the plots on a
/// shared time axis in the middle; the wait-for graph, the event log and the process table in
/// tabs below; a caption line that narrates the latest event; the transport bar at the bottom.
/// Live runs (a session host writing a trace) and recordings use the very same views.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    [[nodiscard]] TraceSession& session() noexcept { return session_; }
    [[nodiscard]] PlotsView* plots() const noexcept { return plots_; }
    [[nodiscard]] WaitForGraphView* waitForGraph() const noexcept { return graph_; }
    [[nodiscard]] EventLogView* eventLog() const noexcept { return log_; }
    [[nodiscard]] TransportBar* transport() const noexcept { return transport_; }
    [[nodiscard]] RunPanel* runPanel() const noexcept { return runPanel_; }
    [[nodiscard]] ScenarioLibraryView* library() const noexcept { return library_; }
    [[nodiscard]] ScenarioLibraryModel& libraryModel() noexcept { return libraryModel_; }
    [[nodiscard]] QString captionText() const;
    [[nodiscard]] bool isPresentation() const noexcept { return presentation_; }
    [[nodiscard]] QAction* action(const QString& name) const;
    /// The JSON summary the session host printed for the last run (empty before/without one).
    [[nodiscard]] const QByteArray& lastSummary() const noexcept { return lastSummary_; }
    [[nodiscard]] bool isRunning() const { return runner_.isRunning(); }

    void openTrace(const QString& path);
    /// Loads the scenario list from `forkscope-cli list --json` (asynchronously).
    void refreshScenarioList();
    /// Uses a `list --json` output directly (tests, and the async load above).
    void setScenarioList(const QByteArray& json);
    void setPresentation(bool on);
    /// When `fullScreen` is false, presentation mode keeps the window's geometry (screenshots).
    void setPresentationFullScreen(bool fullScreen) { presentationFullScreen_ = fullScreen; }
    void selectTab(const QString& name);
    /// Applies the command line: open a file, select/run a scenario, schedule a screenshot.
    void applyLaunchOptions(const LaunchOptions& options);
    bool saveScreenshot(const QString& path);

    [[nodiscard]] ComparisonModel* comparisonModel() const noexcept { return comparisonModel_; }
    [[nodiscard]] bool isComparing() const noexcept { return !comparing_.isEmpty(); }

public Q_SLOTS:
    void runScenario();
    void stopScenario();
    /// Runs the selected scenario under fork, spawn and forkserver, one after the other.
    void compareStartMethods();

Q_SIGNALS:
    void screenshotSaved(const QString& path, bool ok);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void buildMenus();
    void buildLayout();
    void updateCaption();
    void updateActions();
    void onRunFinished(int exitCode, const QByteArray& summaryJson, const QString& errorText);
    void killSelectedWorker();
    void exportPlots(const QString& format);
    void exportTrace(const QString& format);
    void openTraceDialog();
    void restoreSettings();
    void saveSettings() const;
    void updateHeadline();
    void updateLoading();
    void runNextComparison();
    void comparisonRunFinished(const QByteArray& summaryJson, const QString& errorText);

    TraceSession session_;
    ScenarioLibraryModel libraryModel_;
    EventLogModel* logModel_ = nullptr;
    ProcessTimelineModel* timelineModel_ = nullptr;
    ComparisonModel* comparisonModel_ = nullptr;
    ComparisonView* comparison_ = nullptr;
    QStringList pendingMethods_;
    QString comparing_; ///< the start method of the comparison run in progress
    ScenarioRunner runner_;
    QProcess listProcess_;
    QProcess exportProcess_;
    LaunchOptions pending_;
    bool pendingRun_ = false;

    ScenarioLibraryView* library_ = nullptr;
    RunPanel* runPanel_ = nullptr;
    QDockWidget* libraryDock_ = nullptr;
    PlotsView* plots_ = nullptr;
    WaitForGraphView* graph_ = nullptr;
    EventLogView* log_ = nullptr;
    QTableView* processTable_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QList<int> normalSplit_;
    TransportBar* transport_ = nullptr;
    QLabel* headline_ = nullptr;
    QLabel* caption_ = nullptr;
    QProgressBar* loading_ = nullptr;
    std::map<QString, QAction*> actions_;
    bool presentation_ = false;
    bool presentationFullScreen_ = true;
    double speedBeforePresentation_ = 1.0;
    QFont normalFont_;
    QPalette normalPalette_;
    QByteArray lastSummary_;
};

} // namespace forkscope
