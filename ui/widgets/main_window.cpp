#include "main_window.h"

#include "models/comparison_model.h"
#include "models/event_log_model.h"
#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "models/wait_for_graph.h"
#include "run_panel.h"
#include "scenario_library_view.h"
#include "transport_bar.h"
#include "views/comparison_view.h"
#include "views/event_log_view.h"
#include "views/plots_view.h"
#include "views/wait_for_graph_view.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace forkscope {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Forkscope"));
    setObjectName(QStringLiteral("MainWindow"));
    logModel_ = new EventLogModel(session_.data(), this);
    timelineModel_ = new ProcessTimelineModel(session_.data(), this);
    comparisonModel_ = new ComparisonModel(this);
    buildActions();
    buildLayout();
    buildMenus();
    normalFont_ = font();
    normalPalette_ = palette();

    connect(&session_, &TraceSession::positionChanged, this, [this](qint64 t) {
        timelineModel_->setTime(t);
        updateCaption();
    });
    connect(&session_.data(), &TraceData::appended, this, &MainWindow::updateCaption);
    connect(&session_.data(), &TraceData::appended, this, &MainWindow::updateLoading);
    connect(&session_.data(), &TraceData::cleared, this, &MainWindow::updateLoading);
    connect(&session_.data(), &TraceData::tablesChanged, this, &MainWindow::updateHeadline);
    connect(&session_, &TraceSession::playingChanged, this, &MainWindow::updateActions);
    connect(&session_, &TraceSession::failed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Cannot read the trace: %1").arg(message));
        caption_->setText(tr("Cannot read the trace: %1").arg(message));
    });
    connect(&session_, &TraceSession::opened, this,
            [this](const QString& path) { statusBar()->showMessage(tr("Trace: %1").arg(path)); });
    connect(&runner_, &ScenarioRunner::finished, this, &MainWindow::onRunFinished);
    connect(library_, &ScenarioLibraryView::scenarioSelected, this, [this](const QString& id) {
        runPanel_->setScenario(libraryModel_.scenarioById(id));
        updateActions();
    });
    restoreSettings();
    updateActions();
    updateCaption();
    updateHeadline();
}

MainWindow::~MainWindow() {
    // The views and models (child widgets) refer to session_ and runner_, which as members die
    // before the children would: take the children down first, with nothing reporting back.
    runner_.disconnect(this);
    session_.disconnect(this);
    listProcess_.disconnect(this);
    exportProcess_.disconnect(this);
    delete centralWidget();
    delete libraryDock_;
}

void MainWindow::buildLayout() {
    library_ = new ScenarioLibraryView(libraryModel_, this);
    runPanel_ = new RunPanel({actions_.at(QStringLiteral("run")), actions_.at(QStringLiteral("stop")),
                              actions_.at(QStringLiteral("kill"))},
                             this);
    auto* left = new QSplitter(Qt::Vertical, this);
    left->addWidget(library_);
    left->addWidget(runPanel_);
    left->setStretchFactor(0, 3);
    left->setStretchFactor(1, 2);
    libraryDock_ = new QDockWidget(tr("Scenarios"), this);
    libraryDock_->setObjectName(QStringLiteral("ScenarioDock"));
    libraryDock_->setWidget(left);
    libraryDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, libraryDock_);
    resizeDocks({libraryDock_}, {400}, Qt::Horizontal); // guideline names are long

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 0);
    layout->setSpacing(4);
    headline_ = new QLabel(central);
    headline_->setWordWrap(true);
    headline_->setTextFormat(Qt::RichText);
    layout->addWidget(headline_);
    auto* splitter = new QSplitter(Qt::Vertical, central);
    splitter_ = splitter;
    plots_ = new PlotsView(session_, *timelineModel_, splitter);
    tabs_ = new QTabWidget(splitter);
    graph_ = new WaitForGraphView(session_, tabs_);
    log_ = new EventLogView(session_, *logModel_, tabs_);
    processTable_ = new QTableView(tabs_);
    processTable_->setModel(timelineModel_);
    processTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    processTable_->setSelectionMode(QAbstractItemView::SingleSelection);
    processTable_->verticalHeader()->hide();
    processTable_->horizontalHeader()->setStretchLastSection(true);
    processTable_->setColumnWidth(ProcessTimelineModel::NameColumn, 160);
    processTable_->setColumnWidth(ProcessTimelineModel::StateColumn, 130);
    connect(processTable_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);
    tabs_->addTab(graph_, tr("Wait-for graph"));
    tabs_->addTab(log_, tr("Event log"));
    tabs_->addTab(processTable_, tr("Processes"));
    comparison_ = new ComparisonView(*comparisonModel_, tabs_);
    tabs_->addTab(comparison_, tr("Start methods"));
    splitter->addWidget(plots_);
    splitter->addWidget(tabs_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({600, 400});
    layout->addWidget(splitter, 1);
    caption_ = new QLabel(central);
    caption_->setObjectName(QStringLiteral("caption"));
    caption_->setWordWrap(true);
    caption_->setMinimumHeight(caption_->fontMetrics().height() * 2);
    caption_->setStyleSheet(QStringLiteral("QLabel#caption { background: #202833; color: #ffffff; "
                                           "padding: 6px 12px; border-radius: 4px; }"));
    layout->addWidget(caption_);
    transport_ =
        new TransportBar(session_,
                         {actions_.at(QStringLiteral("open")), actions_.at(QStringLiteral("play")),
                          actions_.at(QStringLiteral("previous")), actions_.at(QStringLiteral("next"))},
                         central);
    layout->addWidget(transport_);
    setCentralWidget(central);
    loading_ = new QProgressBar(this);
    loading_->setMaximumWidth(320);
    loading_->setFormat(tr("Loading %v of %m events"));
    loading_->setVisible(false);
    statusBar()->addPermanentWidget(loading_);
}

void MainWindow::updateLoading() {
    // A recording that takes more than one batch to read shows how far the reading got.
    const TraceData& data = session_.data();
    const auto inFile = data.eventsInFile();
    const bool loading = inFile > data.events().size() && !session_.isLive();
    if (loading) {
        // QProgressBar counts in int: scale big traces down to thousands.
        const int scale = inFile > 1'000'000'000 ? 1000 : 1;
        loading_->setRange(0, int(inFile / std::uint64_t(scale)));
        loading_->setValue(int(data.events().size() / std::uint64_t(scale)));
    }
    loading_->setVisible(loading);
}

QAction* MainWindow::action(const QString& name) const {
    auto it = actions_.find(name);
    return it == actions_.end() ? nullptr : it->second;
}

QString MainWindow::captionText() const {
    return caption_->text();
}

void MainWindow::updateCaption() {
    const TraceData& data = session_.data();
    if (data.isEmpty()) {
        caption_->setText(runner_.isRunning()
                              ? tr("Starting the session host…")
                              : tr("Pick a scenario and press Run (F5), or open a recording (Ctrl+O)."));
        return;
    }
    const auto i = data.lastEventAtOrBefore(session_.position());
    if (i < 0) {
        caption_->setText(tr("The run is about to start."));
        return;
    }
    // Once the host has diagnosed the run, that is the story: say it, chain and all.
    bool ok = false;
    const qint64 teardown = data.metaValue("teardown_ns").toLongLong(&ok);
    const QByteArray diagnosis = data.metaValue("diagnosis").toUtf8();
    if (ok && !diagnosis.isEmpty() && session_.position() >= std::min<std::int64_t>(teardown, data.endNs())) {
        try {
            const auto g = WaitForGraph::fromDiagnosisJson(diagnosis);
            // The cycle in the graph's own words is short enough for one line on a projector.
            QStringList steps;
            for (const QString& id : g.cycle) {
                const int n = g.nodeIndex(id);
                steps << (n >= 0 ? g.nodes[std::size_t(n)].label : id);
            }
            if (!steps.isEmpty()) {
                steps << steps.front(); // back where it started: that is the point
            }
            caption_->setText(tr("%1 found: %2")
                                  .arg(g.kind.left(1).toUpper() + g.kind.mid(1),
                                       (steps.isEmpty() ? g.chain : steps).join(QStringLiteral(" → "))));
            return;
        } catch (const std::exception&) {
            // a damaged diagnosis: the wait-for graph tab says so; narrate the events instead
        }
    }
    // ObjectCreated is bookkeeping; narrate the latest event that tells the story.
    auto j = i;
    while (j > 0 && data.events()[std::size_t(j)].type == EventType::ObjectCreated) {
        --j;
    }
    const Event& e = data.events()[std::size_t(j)];
    caption_->setText(
        QStringLiteral("%1 s — %2").arg(data.toSeconds(e.ts), 0, 'f', 3).arg(Narrator(data).describe(e)));
}

void MainWindow::updateHeadline() {
    const TraceData& data = session_.data();
    const QString id = data.metaValue("scenario");
    const ScenarioInfo* info = libraryModel_.scenarioById(id);
    QString html;
    if (!id.isEmpty()) {
        html = QStringLiteral("<b>%1</b>").arg((info != nullptr ? info->title : id).toHtmlEscaped());
        const QString method = data.metaValue("start_method");
        const QString variant = data.metaValue("variant");
        if (!method.isEmpty()) {
            html += QStringLiteral(" · %1").arg(method.toHtmlEscaped());
        }
        if (!variant.isEmpty()) {
            html += QStringLiteral(" · %1").arg(variant.toHtmlEscaped());
        }
        if (info != nullptr && !info->watchFor.isEmpty()) {
            html += QStringLiteral(" — <i>%1 %2</i>").arg(tr("watch for:"), info->watchFor.toHtmlEscaped());
        }
    }
    headline_->setText(html);
    headline_->setVisible(!html.isEmpty());
}

void MainWindow::setPresentation(bool on) {
    if (on == presentation_) {
        return;
    }
    presentation_ = on;
    if (on) {
        speedBeforePresentation_ = session_.speed();
        QFont big = normalFont_;
        big.setPointSizeF(std::max(16.0, normalFont_.pointSizeF() * 1.6));
        setFont(big);
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x10, 0x10, 0x10));
        dark.setColor(QPalette::WindowText, Qt::white);
        dark.setColor(QPalette::Base, Qt::black);
        dark.setColor(QPalette::AlternateBase, QColor(0x22, 0x22, 0x22));
        dark.setColor(QPalette::Text, Qt::white);
        dark.setColor(QPalette::Button, QColor(0x30, 0x30, 0x30));
        dark.setColor(QPalette::ButtonText, Qt::white);
        dark.setColor(QPalette::Highlight, QColor(0xff, 0xd6, 0x00));
        dark.setColor(QPalette::HighlightedText, Qt::black);
        dark.setColor(QPalette::Mid, QColor(0x44, 0x44, 0x44));
        setPalette(dark);
        QFont captionFont = big;
        captionFont.setPointSizeF(big.pointSizeF() * 1.35);
        captionFont.setBold(true);
        caption_->setFont(captionFont);
        caption_->setStyleSheet(QStringLiteral("QLabel#caption { background: #000000; color: #ffd600; "
                                               "padding: 10px 16px; border: 2px solid #ffd600; }"));
        caption_->setMinimumHeight(QFontMetrics(captionFont).height() * 2 + 24);
        libraryDock_->hide();
        // The plots are the show: they get most of the height.
        normalSplit_ = splitter_->sizes();
        const int total = normalSplit_.value(0) + normalSplit_.value(1);
        splitter_->setSizes({total * 6 / 10, total - total * 6 / 10});
        session_.setSpeed(0.25); // slow motion: a class needs time to see each step
        if (presentationFullScreen_) {
            showFullScreen();
        }
    } else {
        setFont(normalFont_);
        setPalette(normalPalette_);
        caption_->setFont(normalFont_);
        caption_->setStyleSheet(QStringLiteral("QLabel#caption { background: #202833; color: #ffffff; "
                                               "padding: 6px 12px; border-radius: 4px; }"));
        caption_->setMinimumHeight(QFontMetrics(normalFont_).height() * 2);
        libraryDock_->show();
        if (!normalSplit_.isEmpty()) {
            splitter_->setSizes(normalSplit_);
        }
        session_.setSpeed(speedBeforePresentation_);
        if (isFullScreen()) {
            showNormal();
        }
    }
    plots_->setPresentation(on);
    graph_->setPresentation(on);
    actions_.at(QStringLiteral("presentation"))->setChecked(on);
}

void MainWindow::selectTab(const QString& name) {
    if (name == QLatin1String("graph")) {
        tabs_->setCurrentWidget(graph_);
    } else if (name == QLatin1String("log")) {
        tabs_->setCurrentWidget(log_);
    } else if (name == QLatin1String("processes")) {
        tabs_->setCurrentWidget(processTable_);
    } else if (name == QLatin1String("compare")) {
        tabs_->setCurrentWidget(comparison_);
    }
}

void MainWindow::applyLaunchOptions(const LaunchOptions& options) {
    const QString lastScenario = pending_.scenario;
    pending_ = options;
    if (pending_.scenario.isEmpty()) {
        pending_.scenario = lastScenario; // from the settings: select it when the list arrives
    }
    if (!options.startMethod.isEmpty()) {
        runPanel_->setStartMethod(options.startMethod);
    }
    if (options.fix) {
        runPanel_->setFix(true);
    }
    if (!options.scenario.isEmpty()) {
        library_->selectScenario(options.scenario);
    }
    selectTab(options.tab);
    if (options.presentation) {
        setPresentation(true);
    }
    if (!options.file.isEmpty()) {
        openTrace(options.file);
        if (options.at >= 0) {
            // Once the recording is loaded, put the playhead where the picture should be.
            auto* connection = new QMetaObject::Connection;
            *connection = connect(&session_.data(), &TraceData::tablesChanged, this, [this, connection] {
                if (session_.data().finished() && !session_.data().isEmpty()) {
                    session_.setPosition(session_.data().fromSeconds(pending_.at));
                    disconnect(*connection);
                    delete connection;
                }
            });
        }
    }
    pendingRun_ = options.run || options.compare;
    if (pendingRun_ && libraryModel_.scenarioCount() > 0) {
        pendingRun_ = false;
        options.compare ? compareStartMethods() : runScenario();
    }
    if (!options.screenshot.isEmpty()) {
        QTimer::singleShot(int(options.after * 1000), this, [this] {
            const bool ok = saveScreenshot(pending_.screenshot);
            Q_EMIT screenshotSaved(pending_.screenshot, ok);
        });
    }
}

bool MainWindow::saveScreenshot(const QString& path) {
    graph_->refresh();
    return grab().save(path);
}

void MainWindow::restoreSettings() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    runPanel_->setStartMethod(
        settings.value(QStringLiteral("run/startMethod"), QStringLiteral("fork")).toString());
    runPanel_->setFix(settings.value(QStringLiteral("run/fix"), false).toBool());
    pending_.scenario = settings.value(QStringLiteral("run/lastScenario")).toString();
    session_.setSpeed(settings.value(QStringLiteral("playback/speed"), 1.0).toDouble());
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("run/startMethod"), runPanel_->startMethod());
    settings.setValue(QStringLiteral("run/fix"), runPanel_->fix());
    settings.setValue(QStringLiteral("run/lastScenario"), library_->currentScenarioId());
    settings.setValue(QStringLiteral("playback/speed"),
                      presentation_ ? speedBeforePresentation_ : session_.speed());
    settings.setValue(QStringLiteral("view/theme"),
                      presentation_ ? QStringLiteral("high-contrast") : QStringLiteral("light"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    runner_.stop();
    QMainWindow::closeEvent(event);
}

} // namespace forkscope
