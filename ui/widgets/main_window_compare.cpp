// MainWindow: the start-method comparison. The selected scenario runs under fork, spawn and
// forkserver one after the other (never at once: on a small machine they would distort each
// other's timings), each one watched live and recorded like any run; the summaries go to the
// ComparisonModel.
#include "main_window.h"
#include "models/comparison_model.h"
#include "run_panel.h"
#include "session/cli_locator.h"
#include "views/comparison_view.h"

#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

namespace forkscope {

void MainWindow::compareStartMethods() {
    if (runner_.isRunning() || runPanel_->scenarioId().isEmpty()) {
        statusBar()->showMessage(
            tr("Pick a scenario (and stop the running one) to compare the start methods"));
        return;
    }
    comparisonModel_->clear();
    pendingMethods_ = ComparisonModel::methods();
    const ScenarioInfo* info = libraryModel_.scenarioById(runPanel_->scenarioId());
    comparison_->setNotes(
        info != nullptr && !info->methodNotes.isEmpty()
            ? tr("<b>Why the start methods differ here:</b> %1").arg(info->methodNotes.toHtmlEscaped())
            : QString());
    tabs_->setCurrentWidget(comparison_);
    runNextComparison();
}

void MainWindow::runNextComparison() {
    if (pendingMethods_.isEmpty()) {
        comparing_.clear();
        comparison_->setStatus(tr("Done: rows in yellow are where the start methods differ."));
        tabs_->setCurrentWidget(comparison_);
        return;
    }
    comparing_ = pendingMethods_.takeFirst();
    comparison_->setStatus(tr("Running under %1…").arg(comparing_));
    runPanel_->setStartMethod(comparing_);
    runScenario();
    if (!runner_.isRunning()) { // it could not start: record why and go on
        comparisonModel_->setResult(comparing_, {}, tr("could not start the session host"));
        QTimer::singleShot(0, this, &MainWindow::runNextComparison);
    }
}

void MainWindow::comparisonRunFinished(const QByteArray& summaryJson, const QString& errorText) {
    if (comparing_.isEmpty()) {
        return;
    }
    comparisonModel_->setResult(comparing_, summaryJson, errorText);
    QTimer::singleShot(0, this, &MainWindow::runNextComparison);
}

} // namespace forkscope
