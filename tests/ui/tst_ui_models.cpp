// The GUI's models under QAbstractItemModelTester, and the pure pieces they rest on: the
// scenario list parser, the narrator, the wait-for graph, the command line, the host's argv.
#include "demo_trace.h"
#include "models/event_log_model.h"
#include "models/narrator.h"
#include "models/process_timeline_model.h"
#include "models/scenario_library_model.h"
#include "models/series_sampler.h"
#include "models/trace_data.h"
#include "models/trace_follower.h"
#include "models/wait_for_graph.h"
#include "session/launch_options.h"
#include "session/scenario_runner.h"
#include "test_events.h"
#include "trace/trace_writer.h"
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
void loadDemoLike(TraceData& data, const QString& path);

void loadDemo(TraceData& data, const QString& path) {
    DemoTrace::write(path.toStdString());
    loadDemoLike(data, path);
}

/// Loads any trace file into `data` through a follower running in this thread.
void loadDemoLike(TraceData& data, const QString& path) {
    TraceFollower follower;
    QObject::connect(&follower, &TraceFollower::updated, &data, [&](const TraceUpdatePtr& update) {
        follower.consumed();
        data.apply(*update);
    });
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
        u.lockSamples = {{a, LockPoint::make(20, 11, true, false, 0)},
                         {b, LockPoint::make(30, 12, true, false, 0)}};
        data.apply(u);
        const auto before = WaitForGraph::fromState(data, 55);
        QVERIFY(before.cycle.isEmpty());
        const auto g = WaitForGraph::fromState(data, 70);
        QCOMPARE(g.edges.size(), std::size_t(4));
        QCOMPARE(g.cycle.size(), 4);
    }

    void poolUtilisationAndThroughput() {
        // A pool of 2 workers: tasks 1 and 2 overlap, task 3 runs alone, task 4's worker dies in
        // the middle of it (pool-worker-death) and is replaced.
        using forkscope::test::ev;
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("pool.fstrace"));
        const std::uint64_t pool = kFirstObjectId + 5;
        constexpr std::int64_t ms = 1'000'000;
        {
            TraceWriter writer(path.toStdString(), TraceMeta{"pool-test", "{}", "fork", {}, {}});
            writer.recordObject({pool, ObjectKind::Pool, "Pool-1", 2, 10, 0});
            writer.recordProcess({10, 1, "main", -1, 0});
            writer.recordProcess({11, 10, "Pool-1-worker-1", 0, 0});
            writer.recordProcess({12, 10, "Pool-1-worker-2", 0, 0});
            const std::vector<Event> events{
                ev(0 * ms, 10, EventType::PoolTaskQueued, pool, 1),
                ev(100 * ms, 11, EventType::PoolTaskStarted, pool, 1),
                ev(200 * ms, 12, EventType::PoolTaskStarted, pool, 2),
                ev(300 * ms, 11, EventType::PoolTaskFinished, pool, 1),
                ev(400 * ms, 12, EventType::PoolTaskFinished, pool, 2),
                ev(500 * ms, 11, EventType::PoolTaskStarted, pool, 3),
                ev(600 * ms, 11, EventType::PoolTaskFinished, pool, 3),
                ev(700 * ms, 12, EventType::PoolTaskStarted, pool, 4),
                ev(800 * ms, 12, EventType::ProcessExited, 12, std::uint64_t(-9)),
                ev(900 * ms, 10, EventType::PoolWorkerReplaced, pool, 13),
                ev(1000 * ms, 10, EventType::QueuePut, kFirstObjectId + 6, 8),
            };
            writer.appendEvents(events);
            writer.finish();
        }
        TraceData data;
        loadDemoLike(data, path);
        QVERIFY(data.finished());
        QCOMPARE(data.poolSamples().size(), std::size_t(1));
        const auto& points = data.poolSamples().at(pool);
        std::vector<int> busy;
        int finished = 0;
        for (const PoolPoint& p : points) {
            busy.push_back(p.busy);
            finished += p.finished;
        }
        QCOMPARE(busy, (std::vector<int>{1, 2, 1, 0, 1, 0, 1, 0})); // the death frees worker 12
        QCOMPARE(finished, 3);

        // Exact steps while the changes are few: percentages of the pool's 2 workers.
        const SeriesSampler fine(data.startNs(), data.startNs(), data.endNs(), data.endNs(), 100);
        const SampledSeries exact = fine.utilisation(points, 2);
        QCOMPARE(exact.values.front(), 0.0);
        QCOMPARE(exact.values[2], 100.0); // both busy from 200 ms
        QCOMPARE(exact.keys[2], 0.2);
        // Few buckets: each is the time-weighted mean. 0-500 ms: busy 1 (100-200), 2 (200-300),
        // 1 (300-400) → 400 worker-ms of 1000 possible = 40 %; 500-1000 ms: 1 (500-600), 1
        // (700-800) → 200 of 1000 = 20 %.
        const SeriesSampler coarse(data.startNs(), data.startNs(), data.endNs(), data.endNs(), 2);
        const SampledSeries mean = coarse.utilisation(points, 2);
        QCOMPARE(mean.values.size(), 3);
        QVERIFY(std::abs(mean.values[0] - 40.0) < 1e-6);
        QVERIFY(std::abs(mean.values[1] - 20.0) < 1e-6);
        // Throughput: 3 tasks make one slice (a mean over the second), whatever the maximum.
        const SampledSeries rate = coarse.throughput(points, 2);
        QCOMPARE(rate.values.size(), 2); // the slice and the end of the step
        QCOMPARE(rate.values[0], 3.0);
        // Many tasks: as many slices as allowed. 600 tasks finished 1 ms apart from 0 on, over
        // two 0.3 s slices = 1000 tasks/s each.
        std::vector<PoolPoint> many;
        for (int i = 0; i < 600; ++i) {
            many.push_back({std::int64_t(i) * ms, 1, 1});
        }
        const SeriesSampler second(0, 0, 600 * ms, 600 * ms, 2);
        const SampledSeries fast = second.throughput(many, 2);
        QCOMPARE(fast.values.size(), 3);
        QVERIFY(std::abs(fast.values[0] - 1000.0) < 1e-6 && std::abs(fast.values[1] - 1000.0) < 1e-6);
        // Only the window is read: from 0.55 s on, task 3's finish is the only one.
        const SeriesSampler late(data.startNs(), data.startNs() + 550 * ms, data.endNs(), data.endNs(), 1);
        QCOMPARE(late.throughput(points, 1).values[0], 1.0 / 0.45);
    }

    // The join-before-get deadlock: a 1 MiB item, a 64 KiB pipe. The feeder's write blocks with
    // the pipe full, and its QueueFeederWrite would come only when the write completes — the
    // pipe-fill series must show the pipe full meanwhile, not empty.
    void aBlockedFeederShowsThePipeFull() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("blocked-feeder.fstrace"));
        constexpr std::uint64_t queue = kFirstObjectId + 7;
        constexpr std::uint64_t item = 1 << 20;
        {
            TraceWriter writer(path.toStdString(), TraceMeta{"blocked-feeder", "{}", "fork", {}, {}});
            writer.recordProcess(ProcessInfo{200, 0, "worker-1", 0, 1000});
            ObjectInfo q;
            q.id = queue;
            q.kind = ObjectKind::Queue;
            q.name = "results";
            q.capacity = 65536;
            q.creatorPid = 200;
            writer.recordObject(q);
            Event blocked = test::ev(3000, 200, EventType::QueueFeederBlocked, queue, item);
            blocked.aux = 65536;
            const Event events[] = {
                test::ev(2000, 200, EventType::QueuePut, queue, item),
                blocked,
                test::ev(9000, 200, EventType::QueueFeederUnblocked, queue),
                test::ev(9000, 200, EventType::QueueFeederWrite, queue, item),
                test::ev(9500, 100, EventType::QueueGet, queue, item),
            };
            writer.appendEvents(events);
            writer.finish();
        }
        TraceData data;
        loadDemoLike(data, path);
        QTRY_VERIFY_WITH_TIMEOUT(data.finished(), 5000);
        const auto& points = data.levels().at(queue);
        QCOMPARE(points.size(), std::size_t(5));
        QCOMPARE(points[0].pipeBytes, 0);     // put: still in the feeder's buffer
        QCOMPARE(points[1].pipeBytes, 65536); // blocked: the pipe is full
        QCOMPARE(points[1].depth, 1);
        QCOMPARE(points[2].pipeBytes, 0);         // unblocked, before the write is counted
        QCOMPARE(points[3].pipeBytes, int(item)); // the whole item went through
        QCOMPARE(points[4].pipeBytes, 0);         // and was read
    }

    void levelsKeepEachColumnsPeak() {
        std::vector<LevelPoint> points;
        for (int i = 0; i < 10'000; ++i) {
            points.push_back({std::int64_t(i) * 1000, i == 4321 ? 50 : i % 3, 100});
        }
        const SeriesSampler sampler(0, 0, 10'000'000, 10'000'000, 100);
        const SampledSeries s = sampler.levels(points);
        QVERIFY(s.keys.size() <= 102);
        QCOMPARE(*std::max_element(s.values.begin(), s.values.end()), 50.0); // the spike survived
        QCOMPARE(s.values2.front(), 100.0 / 1024.0);
        // A window in the middle starts with the level in force there.
        const SeriesSampler middle(0, 4'321'500, 4'400'000, 10'000'000, 100);
        QCOMPARE(middle.levels(points).values.front(), 50.0);
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
