// Exports: a hand-made trace (two processes, a queue whose feeder blocks, hand-over-hand locks, a
// join, a zombie and its reap, a diagnosis) exported to Chrome Trace Event JSON and to CSV and
// checked event by event, and a trace recorded from real processes exported and validated.
#include "analysis/chrome_trace_exporter.h"
#include "analysis/csv_series_exporter.h"
#include "events/monitor.h"
#include "ipc/queue.h"
#include "process/context.h"
#include "process_test_support.h"
#include "sync/lock.h"
#include "test_main.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

#include <QTemporaryDir>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/resource.h>

using namespace forkscope;
using namespace forkscope::test;
using nlohmann::json;

namespace {

constexpr std::uint64_t kQueue = kFirstObjectId + 1;
constexpr std::uint64_t kLock = kFirstObjectId + 2;
constexpr std::uint64_t kLock2 = kFirstObjectId + 3;
constexpr std::int32_t kMain = 100;
constexpr std::int32_t kWorker = 101;
constexpr std::int32_t kFeeder = 1011;  ///< the worker's queue feeder thread
constexpr std::int32_t kMonitor = 1001; ///< the host's monitor thread
constexpr std::int64_t kT0 = 1'000'000'000;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// A sanitizer keeps freed memory in quarantine: resident size says nothing about what is live.
constexpr bool kResidentSizeMeaningful = false;
#else
constexpr bool kResidentSizeMeaningful = true;
#endif

Event ev(std::int64_t at, std::int32_t pid, std::int32_t tid, EventType type, std::uint64_t object,
         std::uint64_t arg = 0) {
    Event e;
    e.ts = kT0 + at;
    e.pid = pid;
    e.tid = tid;
    e.type = type;
    e.object = object;
    e.arg = arg;
    return e;
}

/// The run, in ns after kT0.
std::vector<Event> handMadeRun() {
    const auto worker = static_cast<std::uint64_t>(kWorker);
    return {
        ev(0, kMain, kMain, EventType::ProcessCreated, worker, 0),
        ev(1000, kWorker, kWorker, EventType::ProcessStarted, worker, kMain),
        ev(2000, kWorker, kWorker, EventType::LockAcquire, kLock, 1),
        ev(2500, kWorker, kWorker, EventType::LockAcquire, kLock2, 1),
        ev(3000, kMain, kMain, EventType::LockWait, kLock),
        ev(4000, kWorker, kWorker, EventType::QueuePut, kQueue, 100),
        ev(5000, kWorker, kWorker, EventType::QueuePut, kQueue, 100),
        ev(6000, kWorker, kFeeder, EventType::QueueFeederWrite, kQueue, 100),
        ev(7000, kWorker, kFeeder, EventType::QueueFeederBlocked, kQueue, 100),
        ev(8000, kWorker, kWorker, EventType::LockRelease, kLock, 0), // hand over hand: l2 still held
        ev(8500, kWorker, kWorker, EventType::LockRelease, kLock2, 0),
        ev(9000, kMain, kMain, EventType::LockAcquire, kLock, 1),
        ev(10000, kMain, kMain, EventType::LockRelease, kLock, 0),
        ev(11000, kMain, kMain, EventType::Blocked, worker,
           static_cast<std::uint64_t>(EventType::ProcessReaped)),
        ev(12000, kWorker, kWorker, EventType::ProcessExited, worker, 0),
        ev(12500, kMain, kMonitor, EventType::ProcessZombie, worker, 0),
        ev(13000, kMain, kMain, EventType::ProcessReaped, worker, 0),
        ev(14000, kMain, kMain, EventType::Running, worker, 0),
        ev(15000, kMain, kMain, EventType::QueueGet, kQueue, 100),
        ev(16000, kMain, kMain, EventType::Blocked, kQueue, static_cast<std::uint64_t>(EventType::QueueGet)),
        ev(20000, kMain, 1002, EventType::QueuePut, kQueue, 50),
    };
}

const char* const kDiagnosis = R"({"kind":"deadlock","chain":["main joins worker-0"],)"
                               R"("explanation":"x","guideline":"Joining processes that use queues"})";

/// Every B has its E on the same (pid, tid), in order, with non-decreasing times.
QString checkNesting(const json& events) {
    std::map<std::pair<int, int>, std::vector<double>> stacks;
    std::map<std::pair<int, int>, double> lastTs;
    for (const json& e : events) {
        const std::string ph = e.at("ph");
        if (ph != "B" && ph != "E") {
            continue;
        }
        const auto track = std::make_pair(e.at("pid").get<int>(), e.at("tid").get<int>());
        const double ts = e.at("ts");
        if (lastTs.count(track) && ts < lastTs[track]) {
            return QString("time goes back on %1/%2").arg(track.first).arg(track.second);
        }
        lastTs[track] = ts;
        if (ph == "B") {
            stacks[track].push_back(ts);
        } else if (stacks[track].empty()) {
            return QString("an E without a B on %1/%2 at %3").arg(track.first).arg(track.second).arg(ts);
        } else {
            stacks[track].pop_back();
        }
    }
    for (const auto& [track, stack] : stacks) {
        if (!stack.empty()) {
            return QString("%1 slices never end on %2/%3")
                .arg(stack.size())
                .arg(track.first)
                .arg(track.second);
        }
    }
    return {};
}

std::vector<json> named(const json& events, const std::string& ph, const std::string& name) {
    std::vector<json> found;
    for (const json& e : events) {
        if (e.at("ph") == ph && e.value("name", "") == name) {
            found.push_back(e);
        }
    }
    return found;
}

std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream fields(line);
        while (std::getline(fields, cell, ',')) {
            cells.push_back(cell);
        }
        if (!line.empty() && line.back() == ',') {
            cells.emplace_back();
        }
        rows.push_back(std::move(cells));
    }
    return rows;
}

void sayHelloUnderLock(TaskArgs& args) {
    Lock lock = args.get<Lock>(0);
    Queue queue = args.get<Queue>(1);
    lock.acquire();
    queue.put(std::string("hello"));
    lock.release();
}
FORKSCOPE_TASK(sayHelloUnderLock);

} // namespace

class TestTraceExport : public QObject {
    Q_OBJECT

    LeakSnapshot before_;
    QTemporaryDir dir_;

    std::string handMadeTrace() {
        const std::string file = dir_.filePath("handmade.fstrace").toStdString();
        if (!QFile::exists(QString::fromStdString(file))) {
            TraceWriter writer(
                file,
                TraceMeta{"queue-join-deadlock",
                          "{}",
                          "fork",
                          "testhost",
                          {{"diagnosis", kDiagnosis}, {"teardown_ns", std::to_string(kT0 + 18000)}}},
                TraceWriterOptions{4}); // keyframes every 4 events: the series seek
            writer.recordProcess({kMain, 0, "main", -1, kT0});
            writer.recordProcess({kWorker, kMain, "worker-0", 0, kT0});
            writer.recordObject({kQueue, ObjectKind::Queue, "q", 65536, kMain, kT0});
            writer.recordObject({kLock, ObjectKind::Lock, "l", 0, kMain, kT0});
            writer.recordObject({kLock2, ObjectKind::Lock, "l2", 0, kWorker, kT0});
            writer.appendEvents(handMadeRun());
            writer.finish();
        }
        return file;
    }

private Q_SLOTS:
    void init() { before_ = LeakSnapshot::take(); }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

    void chromeJsonHasTracksSlicesCountersAndInstants() {
        TraceReader reader(handMadeTrace());
        std::ostringstream out;
        const ChromeTraceStats stats = ChromeTraceExporter(reader).write(out);
        QCOMPARE(stats.eventsRead, handMadeRun().size());
        QCOMPARE(stats.unfinished, 1U); // main's last get never returned

        const json doc = json::parse(out.str());
        QCOMPARE(doc.at("displayTimeUnit"), json("ms"));
        QCOMPARE(doc.at("otherData").at("scenario"), json("queue-join-deadlock"));
        const json& events = doc.at("traceEvents");
        QVERIFY(events.is_array());
        QCOMPARE(events.size(), stats.eventsWritten);
        const QString nesting = checkNesting(events);
        QVERIFY2(nesting.isEmpty(), qPrintable(nesting));

        // One process track per process, named from the processes table.
        std::map<int, std::string> processNames;
        for (const json& e : named(events, "M", "process_name")) {
            QVERIFY(processNames.emplace(e.at("pid"), e.at("args").at("name")).second);
        }
        QCOMPARE(processNames.at(kMain), std::string("main"));
        QCOMPARE(processNames.at(kWorker), std::string("worker-0"));
        bool feederNamed = false;
        for (const json& e : named(events, "M", "thread_name")) {
            feederNamed |= e.at("tid") == kFeeder && e.at("args").at("name") == "worker-0 thread 1011";
        }
        QVERIFY(feederNamed);
        const auto feeder = named(events, "B", "feeder blocked: pipe of queue 'q' full");
        QCOMPARE(feeder.size(), std::size_t{1});
        QCOMPARE(feeder[0].at("tid"), json(kFeeder));
        QCOMPARE(feeder[0].at("args").at("pending_bytes"), json(100));

        // Blocked intervals, named by what is waited for, and lock holding.
        const auto join = named(events, "B", "join worker-0");
        QCOMPARE(join.size(), std::size_t{1});
        QCOMPARE(join[0].at("pid"), json(kMain));
        QCOMPARE(join[0].at("ts"), json(11.0));
        QCOMPARE(join[0].at("args").at("operation"), json("ProcessReaped"));
        const auto lockWait = named(events, "B", "blocked on lock 'l'");
        QCOMPARE(lockWait.size(), std::size_t{1});
        QCOMPARE(lockWait[0].at("ts"), json(3.0));
        const auto holding = named(events, "B", "holding lock 'l'");
        QCOMPARE(holding.size(), std::size_t{2}); // the worker, then main
        QCOMPARE(holding[0].at("tid"), json(kWorker));
        QCOMPARE(holding[1].at("tid"), json(kMain));
        QCOMPARE(holding[1].at("ts"), json(9.0));
        // l2 was taken inside l and outlived it: split so that the slices still nest.
        const auto holding2 = named(events, "B", "holding lock 'l2'");
        QCOMPARE(holding2.size(), std::size_t{2});
        QCOMPARE(holding2[1].at("ts"), json(8.0));
        QCOMPARE(holding2[1].at("args").at("continued"), json(true));
        const auto zombie = named(events, "B", "zombie (not reaped)");
        QCOMPARE(zombie.size(), std::size_t{1});
        QCOMPARE(zombie[0].at("pid"), json(kWorker));
        const auto getBlocked = named(events, "B", "blocked on queue 'q'");
        QCOMPARE(getBlocked.size(), std::size_t{1});
        // Left open: closed at the last event's time and marked unfinished.
        bool unfinishedEnd = false;
        for (const json& e : events) {
            if (e.at("ph") == "E" && e.contains("args") && e["args"].value("unfinished", false)) {
                unfinishedEnd = e.at("ts") == json(20.0) && e.at("tid") == kMain;
            }
        }
        QVERIFY(unfinishedEnd);

        // The queue's counter follows depth and pipe bytes, one event per change.
        std::vector<std::pair<int, int>> queue;
        for (const json& e : named(events, "C", "queue 'q'")) {
            queue.emplace_back(e.at("args").at("depth"), e.at("args").at("pipe_bytes"));
            QCOMPARE(e.at("pid"), json(kMain)); // on its creator's process
        }
        const std::vector<std::pair<int, int>> expected{{1, 0}, {2, 0}, {2, 100}, {1, 0}, {2, 0}};
        QCOMPARE(queue, expected);
        std::vector<int> zombies;
        for (const json& e : named(events, "C", "zombies")) {
            zombies.push_back(e.at("args").at("count"));
        }
        QCOMPARE(zombies, (std::vector<int>{0, 1, 0}));

        // Instants: the exit, the zombie, the reap, the diagnosis.
        const auto exitInstant = named(events, "i", "worker-0 exits (code 0)");
        QCOMPARE(exitInstant.size(), std::size_t{1});
        const auto zombieInstant = named(events, "i", "worker-0 is a zombie");
        QCOMPARE(zombieInstant.size(), std::size_t{1});
        QCOMPARE(zombieInstant[0].at("s"), json("p"));
        QCOMPARE(zombieInstant[0].at("pid"), json(kWorker));
        QCOMPARE(zombieInstant[0].at("ts"), json(12.5));
        QCOMPARE(named(events, "i", "main reaps worker-0 (exit code 0)").size(), std::size_t{1});
        const auto diagnosis = named(events, "i", "diagnosis: deadlock");
        QCOMPARE(diagnosis.size(), std::size_t{1});
        QCOMPARE(diagnosis[0].at("s"), json("g"));
        QCOMPARE(diagnosis[0].at("cat"), json("diagnosis"));
        QCOMPARE(diagnosis[0].at("ts"), json(18.0));
        QCOMPARE(diagnosis[0].at("args").at("chain").at(0), json("main joins worker-0"));
        QCOMPARE(diagnosis[0].at("args").at("guideline"), json("Joining processes that use queues"));
    }

    void csvHasHeaderSamplesAndMaxima() {
        TraceReader reader(handMadeTrace());
        std::ostringstream out;
        const CsvSeriesStats stats = CsvSeriesExporter(reader).write(out);
        QCOMPARE(stats.rows, CsvSeriesExporter::kDefaultPoints);
        const auto rows = parseCsv(out.str());
        QCOMPARE(rows.size(), stats.rows + 1);
        const std::vector<std::string> header{"t_ms",
                                              "queue_depth:q",
                                              "queue_pipe_bytes:q",
                                              "lock_wait_ms:l",
                                              "lock_hold_ms:l",
                                              "lock_contention:l",
                                              "lock_wait_ms:l2",
                                              "lock_hold_ms:l2",
                                              "lock_contention:l2",
                                              "zombie_count"};
        QCOMPARE(rows[0], header);
        double lastT = -1;
        double maxDepth = 0;
        double maxPipe = 0;
        double maxZombies = 0;
        std::vector<double> waits;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            QCOMPARE(rows[i].size(), header.size());
            const double t = std::stod(rows[i][0]);
            QVERIFY2(t > lastT, rows[i][0].c_str());
            lastT = t;
            maxDepth = std::max(maxDepth, std::stod(rows[i][1]));
            maxPipe = std::max(maxPipe, std::stod(rows[i][2]));
            maxZombies = std::max(maxZombies, std::stod(rows[i][9]));
            if (!rows[i][3].empty()) {
                waits.push_back(std::stod(rows[i][3]));
            }
        }
        QCOMPARE(lastT, 0.02); // the last event, 20 µs after the first
        QCOMPARE(maxDepth, 2.0);
        QCOMPARE(maxPipe, 100.0);
        QCOMPARE(maxZombies, 1.0);
        std::sort(waits.begin(), waits.end());
        QCOMPARE(waits, (std::vector<double>{0.0, 0.006})); // l: worker at once, main after 6 µs
    }

    void csvFieldsAreQuoted() {
        QCOMPARE(CsvSeriesExporter::field("plain"), std::string("plain"));
        QCOMPARE(CsvSeriesExporter::field("a,b"), std::string("\"a,b\""));
        QCOMPARE(CsvSeriesExporter::field("say \"hi\""), std::string("\"say \"\"hi\"\"\""));
    }

    void emptyTraceExportsValidFiles() {
        const std::string file = dir_.filePath("empty.fstrace").toStdString();
        {
            TraceWriter writer(file, TraceMeta{});
            writer.finish();
        }
        TraceReader reader(file);
        std::ostringstream chrome;
        ChromeTraceExporter(reader).write(chrome);
        QVERIFY(json::parse(chrome.str()).at("traceEvents").empty());
        std::ostringstream csv;
        QCOMPARE(CsvSeriesExporter(reader).write(csv).rows, std::size_t{0});
        QCOMPARE(csv.str(), std::string("t_ms,zombie_count\n"));
    }

    /// 300k events (a queue filled and drained by two processes) export with memory that does
    /// not grow with the trace: the JSON (~40 MB) goes to a file, and the peak resident size may
    /// grow by far less than a document in memory would take.
    void largeTraceStreams() {
        const std::string file = dir_.filePath("large.fstrace").toStdString();
        constexpr std::size_t kEvents = 300'000;
        {
            TraceWriter writer(file, TraceMeta{});
            writer.recordProcess({kMain, 0, "main", -1, kT0});
            writer.recordObject({kQueue, ObjectKind::Queue, "q", 0, kMain, kT0});
            std::vector<Event> batch;
            for (std::size_t i = 0; i < kEvents; ++i) {
                const bool put = i % 2 == 0;
                batch.push_back(ev(static_cast<std::int64_t>(i) * 100, put ? kWorker : kMain,
                                   put ? kWorker : kMain, put ? EventType::QueuePut : EventType::QueueGet,
                                   kQueue, 10));
                if (batch.size() == 10'000) {
                    writer.appendEvents(batch);
                    batch.clear();
                }
            }
            writer.finish();
        }
        TraceReader reader(file);
        const std::string jsonPath = dir_.filePath("large.json").toStdString();
        rusage before{};
        getrusage(RUSAGE_SELF, &before);
        {
            std::ofstream out(jsonPath);
            const ChromeTraceStats stats = ChromeTraceExporter(reader).write(out);
            QCOMPARE(stats.eventsRead, kEvents);
        }
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        const auto grewKb = after.ru_maxrss - before.ru_maxrss;
        if (kResidentSizeMeaningful) {
            QVERIFY2(grewKb < 20 * 1024, qPrintable(QString("peak RSS grew by %1 KiB").arg(grewKb)));
        }
        std::ifstream in(jsonPath);
        std::size_t counters = 0;
        for (std::string line; std::getline(in, line);) {
            counters +=
                line.find("\"ph\":\"C\"") != std::string::npos && line.find("queue 'q'") != std::string::npos;
        }
        QCOMPARE(counters, kEvents); // every put and get changes the depth
        std::ostringstream csv;
        QCOMPARE(CsvSeriesExporter(reader, 50).write(csv).rows, std::size_t{50});
        QVERIFY(csv.str().starts_with("t_ms,queue_depth:q,queue_pipe_bytes:q,zombie_count\n"));
    }

    void recordedRunExportsValidJson() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        const std::string file = dir_.filePath("recorded.fstrace").toStdString();
        pid_t childPid = 0;
        {
            TraceWriter writer(file, TraceMeta{"recorded", "{}", "fork", {}, {}});
            Monitor monitor(writer);
            Lock lock;
            Queue queue;
            Process child = getContext("fork").process(&sayHelloUnderLock, {lock, queue}, {"worker-0", {}});
            child.start();
            childPid = *child.pid();
            QCOMPARE(queue.get<std::string>(true, 20.0), std::string("hello"));
            child.join(20.0);
            QCOMPARE(child.exitCode(), 0);
            child.close();
            QVERIFY(monitor.flush());
            monitor.stop();
            QVERIFY(monitor.error().empty());
            writer.finish();
        }
        TraceReader reader(file);
        std::ostringstream out;
        const ChromeTraceStats stats = ChromeTraceExporter(reader).write(out);
        QVERIFY(stats.eventsRead > 0);
        const json doc = json::parse(out.str());
        const json& events = doc.at("traceEvents");
        const QString nesting = checkNesting(events);
        QVERIFY2(nesting.isEmpty(), qPrintable(nesting));
        bool childNamed = false;
        for (const json& e : named(events, "M", "process_name")) {
            childNamed |= e.at("pid") == childPid && e.at("args").at("name") == "worker-0";
        }
        QVERIFY(childNamed);
        // What the run recorded decides what the export must show: the process events always
        // exist; primitive events exist once the primitives are instrumented.
        bool childLocked = false;
        bool queuePut = false;
        for (const Event& e : reader.events(0, 1'000'000)) {
            childLocked |= e.type == EventType::LockAcquire && e.pid == childPid;
            queuePut |= e.type == EventType::QueuePut;
        }
        bool holding = false;
        bool queueCounter = false;
        bool exited = false;
        bool reaped = false;
        for (const json& e : events) {
            QVERIFY(e.at("ph") == "M" || e.at("ts").is_number());
            const std::string name = e.value("name", "");
            holding |= e.at("ph") == "B" && e.at("pid") == childPid && name.starts_with("holding lock");
            queueCounter |= e.at("ph") == "C" && name.starts_with("queue");
            exited |= e.at("ph") == "i" && e.at("pid") == childPid && name == "worker-0 exits (code 0)";
            reaped |= e.at("ph") == "i" && e.at("pid") == childPid &&
                      name.ends_with("reaps worker-0 (exit code 0)");
        }
        QCOMPARE(holding, childLocked);
        QCOMPARE(queueCounter, queuePut);
        QVERIFY(exited);
        QVERIFY(reaped);
    }
};

FORKSCOPE_TEST_MAIN(TestTraceExport)
#include "tst_trace_export.moc"
