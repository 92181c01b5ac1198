// Running a scenario through the UI: the scenario list from `forkscope-cli list --json`, the
// parameter form, Run (the session host's command line and its live recording), the outcome
// and diagnosis from its JSON summary, and Stop. The host is tests/ui/fake_cli.sh, which keeps
// the contract of contracts.md and writes the demo recording, so this tests the GUI's side only.
#include "models/comparison_model.h"
#include "session/trace_session.h"
#include "ui_test_main.h"
#include "views/wait_for_graph_view.h"
#include "widgets/main_window.h"
#include "widgets/run_panel.h"
#include "widgets/scenario_library_view.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <nlohmann/json.hpp>

using namespace forkscope;

class TstUiRun : public QObject {
    Q_OBJECT
private:
    static bool loaded(const TraceSession& s) { return s.data().finished() && !s.data().isEmpty(); }

    static void selectAndRun(MainWindow& w) {
        w.refreshScenarioList();
        QTRY_COMPARE_WITH_TIMEOUT(w.libraryModel().scenarioCount(), std::size_t(1), 10000);
        w.library()->selectScenario(QStringLiteral("queue-join-deadlock"));
        QCOMPARE(w.runPanel()->scenarioId(), QStringLiteral("queue-join-deadlock"));
        QVERIFY(w.action(QStringLiteral("run"))->isEnabled());
        w.runPanel()->setStartMethod(QStringLiteral("spawn"));
        w.action(QStringLiteral("run"))->trigger();
        QVERIFY(w.isRunning());
        QVERIFY(!w.action(QStringLiteral("run"))->isEnabled());
        QVERIFY(w.action(QStringLiteral("stop"))->isEnabled());
    }

private Q_SLOTS:
    void initTestCase() {
        qputenv("FORKSCOPE_CLI", FAKE_CLI);
        qputenv("FORKSCOPE_FAKE_DEMO", MAKE_DEMO_TRACE);
    }

    void cleanup() {
        // Whatever a test changed (even one that failed half-way), the next one starts clean.
        qunsetenv("FORKSCOPE_FAKE_HANG");
        qputenv("FORKSCOPE_CLI", FAKE_CLI);
    }

    void cleanupTestCase() {
        // Recordings go to the (test-mode) data directory: leave nothing behind.
        const QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        QDir(data).removeRecursively();
        QDir().rmpath(QFileInfo(data).path()); // and the empty test-mode folders above it
    }

    void theParameterFormFollowsTheScenario() {
        MainWindow w;
        w.refreshScenarioList();
        QTRY_COMPARE_WITH_TIMEOUT(w.libraryModel().scenarioCount(), std::size_t(1), 10000);
        w.library()->selectScenario(QStringLiteral("queue-join-deadlock"));
        QCOMPARE(w.runPanel()->parameterCount(), 2);
        auto* items = qobject_cast<QSpinBox*>(w.runPanel()->parameterEditor(QStringLiteral("items")));
        QVERIFY(items != nullptr);
        QCOMPARE(items->minimum(), 1);
        QCOMPARE(items->maximum(), 1000);
        QCOMPARE(items->value(), 12);
        items->setValue(30);
        QCOMPARE(w.runPanel()->request().parameters.value(QStringLiteral("items")), QStringLiteral("30"));
        // Searching keeps the selection when it still matches.
        w.library()->searchField()->setText(QStringLiteral("pipe fills"));
        QCOMPARE(w.library()->currentScenarioId(), QStringLiteral("queue-join-deadlock"));
    }

    void runAScenarioAndSeeItsOutcome() {
        MainWindow w;
        w.resize(1600, 1000);
        w.show();
        selectAndRun(w);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 5000);
        const auto summary = nlohmann::json::parse(w.lastSummary().toStdString());
        QCOMPARE(summary.at("start_method").get<std::string>(), std::string("spawn"));
        QCOMPARE(summary.at("scenario").get<std::string>(), std::string("queue-join-deadlock"));
        QVERIFY2(w.runPanel()->outcomeText().contains(QStringLiteral("deadlock")),
                 qPrintable(w.runPanel()->outcomeText()));
        QVERIFY(QFileInfo::exists(w.session().path()));
        QVERIFY(w.session().path().contains(QStringLiteral("queue-join-deadlock-spawn-hazard-")));
        QCOMPARE(w.session().position(), w.session().data().endNs()); // the live view followed the run
        w.waitForGraph()->refresh();
        QVERIFY(w.waitForGraph()->diagnosisText().contains(QStringLiteral("DEADLOCK")));
        QVERIFY(w.action(QStringLiteral("run"))->isEnabled());
    }

    void stopARunThatDoesNotEnd() {
        qputenv("FORKSCOPE_FAKE_HANG", "1");
        MainWindow w;
        selectAndRun(w);
        QTRY_VERIFY_WITH_TIMEOUT(loaded(w.session()), 10000); // the host is recording and hangs
        QVERIFY(w.isRunning());
        w.action(QStringLiteral("stop"))->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 10000);
        QVERIFY2(w.runPanel()->outcomeText().contains(QStringLiteral("stall")),
                 qPrintable(w.runPanel()->outcomeText()));
    }

    void compareTheThreeStartMethods() {
        MainWindow w;
        w.refreshScenarioList();
        QTRY_COMPARE_WITH_TIMEOUT(w.libraryModel().scenarioCount(), std::size_t(1), 10000);
        w.library()->selectScenario(QStringLiteral("queue-join-deadlock"));
        w.action(QStringLiteral("compare"))->trigger();
        QVERIFY(w.isComparing());
        QTRY_VERIFY_WITH_TIMEOUT(!w.isComparing(), 30000);
        ComparisonModel* model = w.comparisonModel();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model->resultCount(), 3);
        QCOMPARE(model->columnCount(), 3);
        for (int c = 0; c < 3; ++c) {
            QCOMPARE(model->data(model->index(0, c)).toString(), QStringLiteral("deadlock")); // outcome row
        }
        QVERIFY(!model->rowDiffers(0));
        // A method that behaves differently is highlighted.
        model->setResult(QStringLiteral("spawn"), R"({"outcome": "error", "expected_outcome": "deadlock"})");
        QVERIFY(model->rowDiffers(0));
        QCOMPARE(model->data(model->index(0, 1), ComparisonModel::DiffersRole).toBool(), true);
    }

    void aMissingHostIsReportedNotFatal() {
        qputenv("FORKSCOPE_CLI", "/nonexistent/forkscope-cli");
        MainWindow w;
        w.setScenarioList(R"({"scenarios": [{"id": "zombies", "title": "Zombies"}]})");
        w.library()->selectScenario(QStringLiteral("zombies"));
        w.action(QStringLiteral("run"))->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.runPanel()->outcomeText().contains(QStringLiteral("could not start")),
                                 5000);
        qputenv("FORKSCOPE_CLI", FAKE_CLI);
    }
};

FORKSCOPE_UI_TEST_MAIN(TstUiRun)
#include "tst_ui_run.moc"
