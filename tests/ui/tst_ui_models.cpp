// The GUI's models under QAbstractItemModelTester, and the pure pieces they rest on: the
// scenario list parser, the narrator, the wait-for graph, the command line, the host's argv.
#include "demo_trace.h"
#include "models/event_log_model.h"
#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "models/scenario_library_model.h"
#include "models/trace_data.h"
#include "models/trace_follower.h"
#include "models/wait_for_graph.h"
#include "session/launch_options.h"
#include "session/scenario_runner.h"
#include "ui_test_main.h"

#include <QAbstractItemModelTester>
#include <QTemporaryDir>

using namespace forkscope;
using forkscope::test::DemoTrace;

namespace {

const char* kList = R"({"scenarios": [
 {"id": "queue-join-deadlock", "title": "Join before get", "guideline": {"name": "Joining processes that use queues",
  "text": "A process that put items on a queue waits before ending."}, "watch_for": "the pipe fills up",
  "hazard": "join first", "fix": "get first", "method_notes": "same everywhere", "source": "003",
  "parameters": [{"name": "items", "type": "integer", "default": 12, "min": 1, "max": 100, "unit": "items",
                  "description": "how many"},
                 {"name": "cancel", "type": "boolean", "default": false}],
  "expected": {"hazard": {"fork": "deadlock", "spawn": "deadlock", "forkserver": "deadlock"},
               "fix": {"fork": "completed", "spawn": "completed", "forkserver": "completed"}}},
 {"id": "zombies", "title": "Zombies", "guideline": {"name": "Joining zombie processes", "text": "Join them."},
  "watch_for": "red bars", "parameters": [], "expected": {}},
 {"id": "producer-consumer", "title": "Producer and consumer", "guideline": {"name": "Joining processes that use queues",
  "text": "..."}, "watch_for": "depth", "parameters": [], "expected": {}}]})";

std::vector<ProcessInfo> demoProcesses() {
    return {{DemoTrace::kMain, 1, "main", -1, DemoTrace::kStart},
            {DemoTrace::kWorker0, DemoTrace::kMain, "worker-0", 0, DemoTrace::kStart},
            {DemoTrace::kWorker1, DemoTrace::kMain, "worker-1", 0, DemoTrace::kStart}};
}

std::vector<ObjectInfo> demoObjects() {
    return {{DemoTrace::kQueue, ObjectKind::Queue, "results", 65536, DemoTrace::kMain, DemoTrace::kStart},
            {DemoTrace::kLock, ObjectKind::Lock, "print-lock", 0, DemoTrace::kMain, DemoTrace::kStart}};
}

/// Loads the demo trace into `data` through a follower running in this thread.
void loadDemo(TraceData& data, const QString& path) {
    DemoTrace::write(path.toStdString());
    TraceFollower follower;
    QObject::connect(&follower, &TraceFollower::updated, &data,
                     [&data](const TraceUpdatePtr& update) { data.apply(*update); });
    follower.open(path, false);
}

} // namespace

class TstUiModels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void scenarioListParses() {
        const auto list = ScenarioInfo::parseList(kList);
        QCOMPARE(list.size(), std::size_t(3));
        QCOMPARE(list[0].id, QStringLiteral("queue-join-deadlock"));
        QCOMPARE(list[0].guidelineName, QStringLiteral("Joining processes that use queues"));
        QCOMPARE(list[0].parameters.size(), std::size_t(2));
        QCOMPARE(list[0].parameters[0].max.toInt(), 100);
        QCOMPARE(list[0].parameters[1].type, QStringLiteral("boolean"));
        QCOMPARE(list[0].expected.value(QStringLiteral("hazard/spawn")).toString(),
                 QStringLiteral("deadlock"));
    }

    void scenarioListRejectsGarbage() {
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, ScenarioInfo::parseList("{\"scenarios\": 3}"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, ScenarioInfo::parseList("not json"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 ScenarioInfo::parseList("{\"scenarios\": [{\"title\": \"x\"}]}"));
    }

    void scenarioLibraryGroupsByGuidelineAndSearches() {
        ScenarioLibraryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setScenarios(ScenarioInfo::parseList(kList));
        QCOMPARE(model.rowCount(), 2); // two guidelines
        const QModelIndex queues = model.index(0, 0);
        QCOMPARE(model.data(queues).toString(), QStringLiteral("Joining processes that use queues"));
        QCOMPARE(model.rowCount(queues), 2);
        QCOMPARE(model.data(model.index(1, 0, queues), ScenarioLibraryModel::ScenarioIdRole).toString(),
                 QStringLiteral("producer-consumer"));
        model.setSearchText(QStringLiteral("zomb"));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.rowCount(model.index(0, 0)), 1);
        QVERIFY(model.indexOfScenario(QStringLiteral("zombies")).isValid());
        QVERIFY(!model.indexOfScenario(QStringLiteral("producer-consumer")).isValid());
        model.setSearchText(QStringLiteral("PIPE FILLS")); // watch_for, case-insensitive
        QCOMPARE(model.rowCount(), 1);
        model.setSearchText(QString());
        QCOMPARE(model.rowCount(), 2);
    }

    void eventLogFollowsAppendsAndFilters() {
        TraceData data;
        EventLogModel model(data);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto events = DemoTrace::events();
        const std::size_t half = events.size() / 2;
        TraceUpdate first;
        first.reset = true;
        first.lastSeq = events.size(); // the follower read half of what the file holds
        first.events.assign(events.begin(), events.begin() + std::ptrdiff_t(half));
        first.processes = demoProcesses();
        first.objects = demoObjects();
        data.apply(first);
        QCOMPARE(model.rowCount(), int(half));
        QCOMPARE(data.eventsInFile(), events.size()); // what the loading progress shows
        TraceUpdate second;
        second.events.assign(events.begin() + std::ptrdiff_t(half), events.end());
        second.processes = demoProcesses();
        second.objects = demoObjects();
        data.apply(second);
        QCOMPARE(model.rowCount(), int(events.size()));
        QCOMPARE(model.data(model.index(0, EventLogModel::ProcessColumn)).toString(), QStringLiteral("main"));

        // Filter by kind, then by process, then by object, and grow while filtered.
        model.setFilter(0, 0, EventType::LockWait);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0, EventLogModel::ProcessColumn)).toString(),
                 QStringLiteral("worker-1"));
        model.setFilter(DemoTrace::kWorker1, 0, EventType::None);
        for (int r = 0; r < model.rowCount(); ++r) {
            const Event& e = data.events()[model.eventIndex(r)];
            QVERIFY(e.pid == DemoTrace::kWorker1 || e.object == std::uint64_t(DemoTrace::kWorker1));
        }
        model.setFilter(0, DemoTrace::kLock, EventType::None);
        const int locks = model.rowCount();
        QVERIFY(locks > 10);
        TraceUpdate more;
        Event extra = events.back();
        extra.ts += 1000;
        extra.type = EventType::LockAcquire;
        extra.object = DemoTrace::kLock;
        more.events = {extra};
        more.processes = demoProcesses();
        more.objects = demoObjects();
        data.apply(more);
        QCOMPARE(model.rowCount(), locks + 1);
        // Follow the playhead: the row at or before an event index.
        QCOMPARE(model.rowAtOrBefore(-1), -1);
        QCOMPARE(model.eventIndex(model.rowAtOrBefore(std::ptrdiff_t(data.events().size()) - 1)),
                 data.events().size() - 1);
        model.setFilter(0, 0, EventType::None);
        QCOMPARE(model.rowCount(), int(data.events().size()));
        data.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void processTimelineHasOneRowPerProcessAndTheStateAtTheTime() {
        QTemporaryDir dir;
        TraceData data;
        ProcessTimelineModel model(data);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        loadDemo(data, dir.filePath(QStringLiteral("demo.fstrace")));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.pidAt(0), DemoTrace::kMain); // the parent on top
        model.setTime(DemoTrace::kStart + 200'000'000);
        auto stateOf = [&](std::int32_t pid) {
            for (int r = 0; r < model.rowCount(); ++r) {
                if (model.pidAt(r) == pid) {
                    return model.data(model.index(r, ProcessTimelineModel::StateColumn)).toString();
                }
            }
            return QString();
        };
        QCOMPARE(stateOf(DemoTrace::kMain), QStringLiteral("blocked"));
        QCOMPARE(stateOf(DemoTrace::kWorker1), QStringLiteral("ZOMBIE"));
        const QString tip = model.data(model.index(0, ProcessTimelineModel::DetailColumn)).toString();
        QVERIFY2(tip.contains(QStringLiteral("join worker-0")), qPrintable(tip));
        model.setTime(DemoTrace::kTeardown + 5'000'000);
        QCOMPARE(stateOf(DemoTrace::kWorker1), QStringLiteral("reaped"));
        QVERIFY(ProcessTimelineModel::phaseColor(ProcessPhase::Zombie) !=
                ProcessTimelineModel::phaseColor(ProcessPhase::Blocked));
    }

    void narratorSpeaksPlainly() {
        TraceData data;
        TraceUpdate u;
        u.reset = true;
        u.processes = demoProcesses();
        u.objects = demoObjects();
        data.apply(u);
        const Narrator n(data);
        Event zombie;
        zombie.pid = DemoTrace::kMain;
        zombie.type = EventType::ProcessZombie;
        zombie.object = std::uint64_t(DemoTrace::kWorker1);
        QCOMPARE(n.describe(zombie),
                 QStringLiteral("worker-1 is now a zombie: it exited, but nobody joined it"));
        Event full;
        full.pid = DemoTrace::kWorker0;
        full.type = EventType::QueueFeederBlocked;
        full.object = DemoTrace::kQueue;
        QVERIFY(n.describe(full).contains(QStringLiteral("The pipe of results is full")));
        Event join;
        join.pid = DemoTrace::kMain;
        join.type = EventType::Blocked;
        join.object = std::uint64_t(DemoTrace::kWorker0);
        join.arg = std::uint64_t(EventType::ProcessReaped);
        QCOMPARE(n.describe(join), QStringLiteral("main is blocked, waiting to join worker-0"));
        QCOMPARE(Narrator::formatBytes(65536), QStringLiteral("64.0 KiB"));
    }

    void waitForGraphFromTheDiagnosis() {
        const auto g = WaitForGraph::fromDiagnosisJson(QByteArray::fromStdString(DemoTrace::diagnosisJson()));
        QCOMPARE(g.kind, QStringLiteral("deadlock"));
        QCOMPARE(g.nodes.size(), std::size_t(4));
        QCOMPARE(g.edges.size(), std::size_t(4));
        QCOMPARE(g.cycle.size(), 4);
        for (const auto& e : g.edges) {
            QVERIFY(g.edgeInCycle(e));
        }
        QCOMPARE(g.guideline, QStringLiteral("Joining processes that use queues"));
        QCOMPARE(g.chain.size(), 4);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, WaitForGraph::fromDiagnosisJson("[1]"));
        QVERIFY_THROWS_EXCEPTION(
            std::runtime_error,
            WaitForGraph::fromDiagnosisJson(
                R"({"graph": {"nodes": [{"id": "a"}], "edges": [{"from": "a", "to": "b"}]}})"));
    }

    void waitForGraphFromStateFindsALockCycle() {
        // Two processes, two locks, each holds one and waits for the other.
        TraceData data;
        TraceUpdate u;
        u.reset = true;
        const std::uint64_t a = kFirstObjectId + 10;
        const std::uint64_t b = kFirstObjectId + 11;
        u.objects = {{a, ObjectKind::Lock, "A", 0, 1, 0}, {b, ObjectKind::Lock, "B", 0, 1, 0}};
        u.processes = {{11, 1, "p1", 0, 0}, {12, 1, "p2", 0, 0}};
        Event e;
        e.ts = 100;
        u.events = {e};
        u.phases = {{11, 10, ProcessPhase::Running, 0, EventType::None},
                    {12, 10, ProcessPhase::Running, 0, EventType::None},
                    {11, 50, ProcessPhase::Blocked, b, EventType::LockWait},
                    {12, 60, ProcessPhase::Blocked, a, EventType::LockWait}};
        u.lockSamples = {{a, 20, 11, true, false, 0, 0}, {b, 30, 12, true, false, 0, 0}};
        data.apply(u);
        const auto before = WaitForGraph::fromState(data, 55);
        QVERIFY(before.cycle.isEmpty());
        const auto g = WaitForGraph::fromState(data, 70);
        QCOMPARE(g.edges.size(), std::size_t(4));
        QCOMPARE(g.cycle.size(), 4);
    }

    void launchOptions_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("ok");
        QTest::newRow("file") << QStringList{QStringLiteral("x.fstrace")} << true;
        QTest::newRow("run") << QStringList{QStringLiteral("--scenario"),     QStringLiteral("zombies"),
                                            QStringLiteral("--start-method"), QStringLiteral("spawn"),
                                            QStringLiteral("--fix"),          QStringLiteral("--run"),
                                            QStringLiteral("--screenshot"),   QStringLiteral("o.png"),
                                            QStringLiteral("--after"),        QStringLiteral("3.5")}
                             << true;
        QTest::newRow("bad method") << QStringList{QStringLiteral("--start-method"), QStringLiteral("vfork")}
                                    << false;
        QTest::newRow("run without scenario") << QStringList{QStringLiteral("--run")} << false;
        QTest::newRow("bad after") << QStringList{QStringLiteral("--after"), QStringLiteral("soon")} << false;
        QTest::newRow("two files") << QStringList{QStringLiteral("a"), QStringLiteral("b")} << false;
    }

    void launchOptions() {
        QFETCH(QStringList, args);
        QFETCH(bool, ok);
        args.prepend(QStringLiteral("forkscope"));
        const auto o = LaunchOptions::parse(args);
        QCOMPARE(o.error.isEmpty(), ok);
        if (ok && o.run) {
            QCOMPARE(o.scenario, QStringLiteral("zombies"));
            QCOMPARE(o.startMethod, QStringLiteral("spawn"));
            QVERIFY(o.fix);
            QCOMPARE(o.after, 3.5);
            QCOMPARE(o.screenshot, QStringLiteral("o.png"));
        }
    }

    void sessionHostCommandLineFollowsTheContract() {
        ScenarioRunner::Request r;
        r.scenario = QStringLiteral("queue-join-deadlock");
        r.startMethod = QStringLiteral("forkserver");
        r.fix = true;
        r.parameters.insert(QStringLiteral("items"), QStringLiteral("12"));
        r.recordPath = QStringLiteral("/tmp/x.fstrace");
        r.timeoutSeconds = 20;
        QCOMPARE(ScenarioRunner::arguments(r),
                 (QStringList{QStringLiteral("run"), QStringLiteral("queue-join-deadlock"),
                              QStringLiteral("--start-method"), QStringLiteral("forkserver"),
                              QStringLiteral("--fix"), QStringLiteral("--set"), QStringLiteral("items=12"),
                              QStringLiteral("--record"), QStringLiteral("/tmp/x.fstrace"),
                              QStringLiteral("--json"), QStringLiteral("--timeout"), QStringLiteral("20")}));
    }
};

FORKSCOPE_UI_TEST_MAIN(TstUiModels)
#include "tst_ui_models.moc"
