// MainWindow: its actions and menus, running and stopping a scenario through the session host,
// fault injection, and the exports.
#include "main_window.h"
#include "models/process_timeline_model.h"
#include "run_panel.h"
#include "scenario_library_view.h"
#include "session/cli_locator.h"
#include "views/plots_view.h"
#include "views/wait_for_graph_view.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <csignal>
#include <nlohmann/json.hpp>

namespace forkscope {

void MainWindow::buildActions() {
    auto add = [this](const QString& name, const QString& text, const QKeySequence& key,
                      QStyle::StandardPixmap icon = QStyle::SP_CustomBase) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) {
            a->setShortcut(key);
            a->setToolTip(QStringLiteral("%1 (%2)").arg(QString(text).remove(QLatin1Char('&')),
                                                        key.toString(QKeySequence::NativeText)));
        }
        if (icon != QStyle::SP_CustomBase) {
            a->setIcon(style()->standardIcon(icon));
        }
        actions_[name] = a;
        addAction(a); // shortcuts work even while the menu bar is hidden
        return a;
    };
    connect(add(QStringLiteral("open"), tr("&Open…"), QKeySequence::Open, QStyle::SP_DialogOpenButton),
            &QAction::triggered, this, &MainWindow::openTraceDialog);
    connect(add(QStringLiteral("exportPng"), tr("Export plots as &PNG…"), {}), &QAction::triggered, this,
            [this] { exportPlots(QStringLiteral("png")); });
    connect(add(QStringLiteral("exportPdf"), tr("Export plots as P&DF…"), {}), &QAction::triggered, this,
            [this] { exportPlots(QStringLiteral("pdf")); });
    connect(add(QStringLiteral("exportChrome"), tr("Export trace for &Perfetto (Chrome JSON)…"), {}),
            &QAction::triggered, this, [this] { exportTrace(QStringLiteral("chrome-json")); });
    connect(add(QStringLiteral("exportCsv"), tr("Export trace as &CSV…"), {}), &QAction::triggered, this,
            [this] { exportTrace(QStringLiteral("csv")); });
    connect(add(QStringLiteral("quit"), tr("&Quit"), QKeySequence::Quit), &QAction::triggered, this,
            &QWidget::close);
    connect(add(QStringLiteral("run"), tr("&Run"), QKeySequence(Qt::Key_F5), QStyle::SP_MediaPlay),
            &QAction::triggered, this, &MainWindow::runScenario);
    connect(
        add(QStringLiteral("stop"), tr("&Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5), QStyle::SP_MediaStop),
        &QAction::triggered, this, &MainWindow::stopScenario);
    connect(add(QStringLiteral("kill"), tr("&Kill worker"), QKeySequence(Qt::CTRL | Qt::Key_K),
                QStyle::SP_BrowserStop),
            &QAction::triggered, this, &MainWindow::killSelectedWorker);
    connect(add(QStringLiteral("compare"), tr("&Compare start methods"), QKeySequence(Qt::CTRL | Qt::Key_M)),
            &QAction::triggered, this, &MainWindow::compareStartMethods);
    actions_.at(QStringLiteral("kill"))
        ->setStatusTip(tr("Fault injection: SIGKILL the process selected in the Processes tab"));
    connect(add(QStringLiteral("play"), tr("Play"), QKeySequence(Qt::Key_Space), QStyle::SP_MediaPlay),
            &QAction::triggered, &session_, &TraceSession::togglePlay);
    connect(add(QStringLiteral("previous"), tr("Previous event"), QKeySequence(Qt::Key_Comma),
                QStyle::SP_MediaSeekBackward),
            &QAction::triggered, &session_, &TraceSession::stepPrevious);
    connect(add(QStringLiteral("next"), tr("Next event"), QKeySequence(Qt::Key_Period),
                QStyle::SP_MediaSeekForward),
            &QAction::triggered, &session_, &TraceSession::stepNext);
    connect(add(QStringLiteral("faster"), tr("Faster"), QKeySequence(Qt::Key_BracketRight)),
            &QAction::triggered, this, [this] { session_.setSpeed(session_.speed() * 2); });
    connect(add(QStringLiteral("slower"), tr("Slower"), QKeySequence(Qt::Key_BracketLeft)),
            &QAction::triggered, this, [this] { session_.setSpeed(session_.speed() / 2); });
    connect(add(QStringLiteral("resetZoom"), tr("Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0)),
            &QAction::triggered, this, [this] { plots_->resetZoom(); });
    auto* presentation =
        add(QStringLiteral("presentation"), tr("&Presentation mode"), QKeySequence(Qt::Key_F11));
    presentation->setCheckable(true);
    connect(presentation, &QAction::triggered, this, &MainWindow::setPresentation);
}

void MainWindow::buildMenus() {
    auto* file = menuBar()->addMenu(tr("&File"));
    for (const char* name : {"open", "exportPng", "exportPdf", "exportChrome", "exportCsv", "quit"}) {
        file->addAction(actions_.at(QString::fromLatin1(name)));
        if (QLatin1String(name) == QLatin1String("open") ||
            QLatin1String(name) == QLatin1String("exportCsv")) {
            file->addSeparator();
        }
    }
    auto* run = menuBar()->addMenu(tr("&Run"));
    for (const char* name : {"run", "compare", "stop", "kill"}) {
        run->addAction(actions_.at(QString::fromLatin1(name)));
    }
    auto* playback = menuBar()->addMenu(tr("&Playback"));
    for (const char* name : {"play", "previous", "next", "faster", "slower"}) {
        playback->addAction(actions_.at(QString::fromLatin1(name)));
    }
    auto* view = menuBar()->addMenu(tr("&View"));
    view->addAction(actions_.at(QStringLiteral("presentation")));
    view->addAction(actions_.at(QStringLiteral("resetZoom")));
}

void MainWindow::updateActions() {
    const bool running = runner_.isRunning();
    actions_.at(QStringLiteral("run"))->setEnabled(!running && !runPanel_->scenarioId().isEmpty());
    actions_.at(QStringLiteral("compare"))->setEnabled(!running && !runPanel_->scenarioId().isEmpty());
    actions_.at(QStringLiteral("stop"))->setEnabled(running);
    const auto rows = processTable_->selectionModel()->selectedRows();
    actions_.at(QStringLiteral("kill"))->setEnabled(running && !rows.isEmpty());
    QAction* play = actions_.at(QStringLiteral("play"));
    play->setText(session_.isPlaying() ? tr("Pause") : tr("Play"));
    play->setIcon(style()->standardIcon(session_.isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void MainWindow::openTrace(const QString& path) {
    if (runner_.isRunning()) {
        statusBar()->showMessage(tr("Stop the running scenario before opening a recording"));
        return;
    }
    lastSummary_.clear();
    graph_->setDiagnosisJson({});
    session_.openRecording(path);
}

void MainWindow::openTraceDialog() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open a recording"), {}, tr("Forkscope traces (*.fstrace)"));
    if (!path.isEmpty()) {
        openTrace(path);
    }
}

void MainWindow::refreshScenarioList() {
    const QString cli = CliLocator::find();
    if (cli.isEmpty()) {
        library_->setStatus(
            tr("forkscope-cli was not found, so no scenarios can be listed or run. Put it next to "
               "forkscope or set FORKSCOPE_CLI. Recordings can still be opened."));
        return;
    }
    connect(
        &listProcess_, &QProcess::finished, this,
        [this](int code, QProcess::ExitStatus) {
            const QByteArray out = listProcess_.readAllStandardOutput();
            if (code != 0) {
                library_->setStatus(tr("forkscope-cli list failed: %1")
                                        .arg(QString::fromLocal8Bit(listProcess_.readAllStandardError())));
                return;
            }
            setScenarioList(out);
        },
        Qt::SingleShotConnection);
    listProcess_.start(cli, {QStringLiteral("list"), QStringLiteral("--json")});
}

void MainWindow::setScenarioList(const QByteArray& json) {
    try {
        libraryModel_.setScenarios(ScenarioInfo::parseList(json));
    } catch (const std::exception& e) {
        library_->setStatus(QString::fromStdString(e.what()));
        return;
    }
    library_->setStatus(libraryModel_.scenarioCount() == 0 ? tr("No scenarios are installed.") : QString());
    if (!pending_.scenario.isEmpty()) {
        library_->selectScenario(pending_.scenario);
    }
    updateHeadline();
    if (pendingRun_) {
        pendingRun_ = false;
        pending_.compare ? compareStartMethods() : runScenario();
    }
}

void MainWindow::runScenario() {
    ScenarioRunner::Request request = runPanel_->request();
    if (request.scenario.isEmpty()) {
        request.scenario = pending_.scenario; // --scenario ID for an id the list does not know (yet)
    }
    if (request.scenario.isEmpty()) {
        statusBar()->showMessage(tr("Pick a scenario first"));
        return;
    }
    request.recordPath = ScenarioRunner::newRecordingPath(request);
    QString error;
    if (!runner_.start(request, CliLocator::find(), &error)) {
        statusBar()->showMessage(error);
        runPanel_->setOutcome(
            QStringLiteral("<span style='color:#d0102b'>%1</span>").arg(error.toHtmlEscaped()));
        return;
    }
    lastSummary_.clear();
    graph_->setDiagnosisJson({});
    runPanel_->setOutcome(tr("Running %1 with %2…").arg(request.scenario, request.startMethod));
    session_.followLive(request.recordPath);
    updateActions();
    updateCaption();
}

void MainWindow::stopScenario() {
    pendingMethods_.clear(); // Stop also ends a comparison
    runner_.stop();
    statusBar()->showMessage(tr("Stopping: the session host tears the run down and finishes the recording…"));
}

void MainWindow::onRunFinished(int exitCode, const QByteArray& summaryJson, const QString& errorText) {
    session_.setLive(false);
    lastSummary_ = summaryJson;
    const auto summary = nlohmann::json::parse(summaryJson.begin(), summaryJson.end(), nullptr, false);
    QString html;
    if (summary.is_object()) {
        const QString outcome = QString::fromStdString(summary.value("outcome", std::string("?")));
        const QString expected = QString::fromStdString(summary.value("expected_outcome", std::string("?")));
        const bool asExpected = exitCode == 0;
        html =
            tr("Outcome: <b style='color:%1'>%2</b> (expected: %3)")
                .arg(asExpected ? QStringLiteral("#2e9e4f") : QStringLiteral("#d0102b"), outcome, expected);
        if (auto d = summary.find("diagnosis"); d != summary.end() && d->is_object()) {
            graph_->setDiagnosisJson(QByteArray::fromStdString(d->dump()));
            if (comparing_.isEmpty()) {
                tabs_->setCurrentWidget(graph_);
            }
        }
        if (auto e = summary.find("error"); e != summary.end() && e->is_string()) {
            html += QStringLiteral("<br><span style='color:#d0102b'>%1</span>")
                        .arg(QString::fromStdString(e->get<std::string>()).toHtmlEscaped());
        }
    } else {
        html = QStringLiteral("<span style='color:#d0102b'>%1</span>")
                   .arg((errorText.isEmpty()
                             ? tr("The session host ended with code %1 and no summary").arg(exitCode)
                             : errorText)
                            .toHtmlEscaped());
        if (!QFileInfo::exists(runner_.request().recordPath)) {
            session_.close(); // nothing was recorded: stop waiting for the file
        }
    }
    runPanel_->setOutcome(html);
    statusBar()->showMessage(tr("The run ended (exit code %1)").arg(exitCode));
    updateActions();
    updateCaption();
    comparisonRunFinished(summaryJson, errorText);
}

void MainWindow::killSelectedWorker() {
    const auto rows = processTable_->selectionModel()->selectedRows();
    if (!runner_.isRunning() || rows.isEmpty()) {
        return;
    }
    const auto pid = static_cast<pid_t>(timelineModel_->pidAt(rows.front().row()));
    // Only a worker of the running host: never the host itself, never a pid the run does not own.
    const auto phase = session_.data().phaseAt(pid, session_.data().endNs());
    if (pid <= 1 || pid == static_cast<pid_t>(runner_.hostPid()) || !phase ||
        (phase->phase != ProcessPhase::Running && phase->phase != ProcessPhase::Blocked)) {
        statusBar()->showMessage(tr("Only a running worker of this run can be killed"));
        return;
    }
    if (::kill(pid, SIGKILL) != 0) {
        statusBar()->showMessage(
            tr("kill(%1) failed: %2").arg(pid).arg(QString::fromLocal8Bit(strerror(errno))));
        return;
    }
    statusBar()->showMessage(
        tr("Sent SIGKILL to %1 (pid %2)").arg(session_.data().processName(pid)).arg(pid));
}

void MainWindow::exportPlots(const QString& format) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export plots"), QStringLiteral("forkscope.%1").arg(format),
                                     format == QLatin1String("pdf") ? tr("PDF (*.pdf)") : tr("PNG (*.png)"));
    if (path.isEmpty()) {
        return;
    }
    statusBar()->showMessage(plots_->exportTo(path) ? tr("Saved %1").arg(path)
                                                    : tr("Could not save %1").arg(path));
}

void MainWindow::exportTrace(const QString& format) {
    if (session_.path().isEmpty()) {
        statusBar()->showMessage(tr("Open or record a trace first"));
        return;
    }
    const QString suffix = format == QLatin1String("csv") ? QStringLiteral("csv") : QStringLiteral("json");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export trace"), QFileInfo(session_.path()).completeBaseName() + QLatin1Char('.') + suffix);
    if (path.isEmpty()) {
        return;
    }
    if (exportProcess_.state() != QProcess::NotRunning) {
        statusBar()->showMessage(tr("An export is still running"));
        return;
    }
    connect(
        &exportProcess_, &QProcess::finished, this,
        [this, path](int code, QProcess::ExitStatus) {
            statusBar()->showMessage(
                code == 0 ? tr("Exported %1").arg(path)
                          : tr("Export failed: %1")
                                .arg(QString::fromLocal8Bit(exportProcess_.readAllStandardError())));
        },
        Qt::SingleShotConnection);
    exportProcess_.start(CliLocator::find(),
                         {QStringLiteral("export"), session_.path(), QStringLiteral("--format"), format,
                          QStringLiteral("-o"), path});
}

} // namespace forkscope
