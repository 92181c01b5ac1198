// Event rings and the monitor: wrap-around, exact drop accounting under a flood, rings from
// every start method (and a grandchild) reaching the monitor, and a monitor that never reaps.
#include "analysis/state_at.h"
#include "events/emit.h"
#include "events/event_ring.h"
#include "events/monitor.h"
#include "events/trace_clock.h"
#include "events/tracer.h"
#include "memory_sink.h"
#include "process/context.h"
#include "process/fd_handle.h"
#include "process/runtime.h"
#include "process_test_support.h"
#include "test_main.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

#include <QTemporaryDir>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

/// Floods a ring: half of `count` events while nobody drains (so the ring must drop), then
/// "ready" on arg 2, wait for "go" on arg 3, then the other half while the parent drains.
void floodRing(TaskArgs& args) {
    EventRing ring = EventRing::attach(args.get<FdHandle>(0).fd());
    const auto count = args.get<std::uint64_t>(1);
    const int lane = ring.claimLane(static_cast<std::int32_t>(::gettid()));
    if (lane < 0) {
        exitProcess(3);
    }
    Event e;
    e.type = EventType::PipeSend;
    e.pid = static_cast<std::int32_t>(::getpid());
    for (std::uint64_t i = 0; i < count; ++i) {
        if (i == count / 2) {
            sendByte(args.get<FdHandle>(2).fd());
            awaitByte(args.get<FdHandle>(3).fd());
        }
        e.ts = static_cast<std::int64_t>(i);
        e.arg = i;
        ring.push(lane, e);
    }
}
FORKSCOPE_TASK(floodRing);

void emitOneRecv(TaskArgs& args) {
    trace::emit(EventType::PipeRecv, args.get<std::uint64_t>(0), 7);
}
FORKSCOPE_TASK(emitOneRecv);

/// Registers a pipe object, reports its id on arg 0, emits `count` PipeSend events and starts
/// a grandchild (start method arg 2) that emits one PipeRecv on it.
void emitAndNest(TaskArgs& args) {
    const std::uint64_t id = trace::registerObject(ObjectKind::Pipe, "test-pipe", 65536);
    sendText(args.get<FdHandle>(0).fd(), std::to_string(id));
    const int count = args.get<int>(1);
    for (int i = 0; i < count; ++i) {
        trace::emit(EventType::PipeSend, id, static_cast<std::uint64_t>(i));
    }
    Process grandchild(getContext(static_cast<StartMethod>(args.get<int>(2))), &emitOneRecv, {id});
    grandchild.start();
    grandchild.join(30.0);
    if (grandchild.exitCode() != 0) {
        exitProcess(4);
    }
}
FORKSCOPE_TASK(emitAndNest);

/// Emits arg-0 events as fast as it can, through the real emit path.
void floodEmit(TaskArgs& args) {
    const auto count = args.get<std::uint64_t>(0);
    for (std::uint64_t i = 0; i < count; ++i) {
        trace::emit(EventType::PipeSend, kFirstObjectId, i);
    }
}
FORKSCOPE_TASK(floodEmit);

void returnAtOnce(TaskArgs&) {}
FORKSCOPE_TASK(returnAtOnce);

char procStateOf(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    std::FILE* f = std::fopen(path, "re");
    if (f == nullptr) {
        return 0;
    }
    char buffer[512] = {};
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
    std::fclose(f);
    const std::string text(buffer, n);
    const std::size_t close = text.rfind(')');
    return close == std::string::npos || close + 2 >= text.size() ? 0 : text[close + 2];
}

using Clock = std::chrono::steady_clock;

} // namespace

class TestEventRing : public QObject {
    Q_OBJECT

    LeakSnapshot before_;

private Q_SLOTS:
    void initTestCase() {
        // The forkserver is a long-lived helper of this program; start it before the baseline.
        Process warm(getContext(StartMethod::Forkserver), &returnAtOnce);
        warm.start();
        warm.join(10.0);
    }
    void init() { before_ = LeakSnapshot::take(); }
    void cleanup() {
        QVERIFY(!trace::enabled());
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

    void wrapAroundKeepsOrder() {
        EventRing ring = EventRing::create(1, 8);
        QCOMPARE(ring.laneCapacity(), 8U);
        const int lane = ring.claimLane(1);
        QCOMPARE(lane, 0);
        QCOMPARE(ring.claimLane(2), -1); // one lane, already owned
        std::uint64_t next = 0;
        std::uint64_t expected = 0;
        std::vector<Event> out;
        // Uneven push/drain strides walk the indices across the wrap point many times.
        for (int round = 0; round < 100; ++round) {
            for (int i = 0; i < 1 + round % 7; ++i) {
                Event e;
                e.arg = next++;
                e.ts = static_cast<std::int64_t>(e.arg);
                QVERIFY(ring.push(lane, e));
            }
            out.clear();
            ring.drain(out);
            for (const Event& e : out) {
                QCOMPARE(e.arg, expected++);
            }
        }
        QCOMPARE(expected, next);
        QCOMPARE(ring.dropped(), 0U);
        QVERIFY(ring.empty());
        // Full: the 9th push is refused and counted; the next successful push carries a marker.
        for (int i = 0; i < 8; ++i) {
            QVERIFY(ring.push(lane, Event{}));
        }
        QVERIFY(!ring.push(lane, Event{}));
        QCOMPARE(ring.dropped(), 1U);
        out.clear();
        ring.drain(out);
        QCOMPARE(out.size(), std::size_t{8});
        Event after;
        after.type = EventType::LockAcquire;
        QVERIFY(ring.push(lane, after));
        out.clear();
        ring.drain(out);
        QCOMPARE(out.size(), std::size_t{2});
        QCOMPARE(out[0].type, EventType::EventsDropped);
        QCOMPARE(out[0].arg, 1U);
        QCOMPARE(out[1].type, EventType::LockAcquire);
        ring.releaseLane(lane, 1);
        QCOMPARE(ring.claimLane(2), 0);
    }

    void attachRejectsDamagedRing() {
        const int fd = ::memfd_create("not-a-ring", MFD_CLOEXEC);
        QVERIFY(fd >= 0);
        UniqueFd owner(fd);
        QVERIFY(::ftruncate(fd, 4096) == 0);
        const char junk[] = "definitely not an event ring header";
        QVERIFY(::write(fd, junk, sizeof junk) == static_cast<ssize_t>(sizeof junk));
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)EventRing::attach(fd));
    }

    void floodDropsAreCountedExactly_data() { addStartMethodRows(); }
    void floodDropsAreCountedExactly() {
        constexpr std::uint64_t kCount = 400000;
        EventRing ring = EventRing::create(1, 64);
        TestPipe ready;
        TestPipe go;
        Process child = rowContext().process(
            &floodRing, {FdHandle(ring.fd()), kCount, ready.writeHandle(), go.readHandle()});
        child.start();
        awaitByte(ready.read.get());
        sendByte(go.write.get());

        std::vector<Event> out;
        std::uint64_t data = 0;
        std::uint64_t marked = 0;
        std::uint64_t lastArg = 0;
        bool ordered = true;
        const auto deadline = Clock::now() + std::chrono::seconds(60);
        bool alive = true;
        while (Clock::now() < deadline) {
            alive = child.isAlive();
            out.clear();
            ring.drain(out);
            for (const Event& e : out) {
                if (e.type == EventType::EventsDropped) {
                    marked += e.arg;
                    continue;
                }
                ordered = ordered && (data == 0 || e.arg > lastArg);
                lastArg = e.arg;
                ++data;
            }
            if (!alive && ring.empty()) {
                break;
            }
        }
        QVERIFY2(!alive, "the flooding child did not finish in time");
        QCOMPARE(child.exitCode(), 0);
        QVERIFY(ordered);
        const std::uint64_t dropped = ring.dropped();
        QVERIFY(dropped >= kCount / 2 - 64); // the first half met a ring nobody drained
        QCOMPARE(data + dropped, kCount);    // written = drained + dropped, exactly
        QVERIFY(marked <= dropped);          // markers announce every drop but a trailing run
        QVERIFY(marked > 0);
    }

    void childrenStampOnTheSessionClock_data() { addStartMethodRows(); }
    void childrenStampOnTheSessionClock() {
        MemorySink sink;
        Monitor monitor(sink);
        // The map the host uses travels in every child's ring.
        const trace::ClockCalibration session = trace::TraceClock::current();
        {
            std::unique_ptr<EventRing> prepared = Tracer::prepareChild();
            QVERIFY(prepared);
            QCOMPARE(prepared->clock().nsPerTickQ32, session.nsPerTickQ32);
            QCOMPARE(prepared->clock().baseTicks, session.baseTicks);
            QCOMPARE(prepared->clock().baseNs, session.baseNs);
        }
        // A child's event falls between two host timestamps taken around its whole life: one
        // time line, whatever the start method (a child on another map would land far away).
        const std::int64_t before = trace::monotonicNs();
        Process child = rowContext().process(&emitOneRecv, {std::uint64_t{kFirstObjectId + 77}});
        child.start();
        child.join(30.0);
        QCOMPARE(child.exitCode(), 0);
        const std::int64_t after = trace::monotonicNs();
        QVERIFY(monitor.flush());
        bool seen = false;
        for (const Event& e : sink.eventsOf(static_cast<std::int32_t>(*child.pid()))) {
            if (e.type == EventType::PipeRecv && e.object == kFirstObjectId + 77) {
                seen = true;
                QVERIFY2(
                    e.ts >= before && e.ts <= after,
                    (std::to_string(before) + " <= " + std::to_string(e.ts) + " <= " + std::to_string(after))
                        .c_str());
            }
        }
        QVERIFY(seen);
        // The map stays within a millisecond of CLOCK_MONOTONIC (its error is microseconds per
        // second; a broken rate or base would be off by far more).
        const std::int64_t system = trace::TraceClock::systemMonotonicNs();
        const std::int64_t mapped = trace::TraceClock::now();
        QVERIFY2(std::llabs(mapped - system) < 1'000'000, std::to_string(mapped - system).c_str());
    }

    void ringsReachTheMonitor_data() { addStartMethodRows(); }
    void ringsReachTheMonitor() {
        MemorySink sink;
        Monitor monitor(sink);
        QVERIFY(trace::enabled());
        TestPipe report;
        constexpr int kCount = 50;
        // The grandchild uses the same method as the child, except that a fork grandchild of
        // a spawn child is the interesting nesting case.
        const StartMethod method = rowContext().startMethod();
        const int grandMethod = static_cast<int>(method == StartMethod::Spawn ? StartMethod::Fork : method);
        Process child = rowContext().process(&emitAndNest, {report.writeHandle(), kCount, grandMethod});
        child.start();
        const std::uint64_t id = std::stoull(receiveText(report.read.get()));
        child.join(30.0);
        QCOMPARE(child.exitCode(), 0);
        const auto pid = static_cast<std::int32_t>(*child.pid());
        QVERIFY(monitor.flush());

        const auto processes = sink.processes();
        QVERIFY(processes.count(pid) == 1);
        QCOMPARE(processes.at(pid).name, child.name());
        QCOMPARE(processes.at(pid).parentPid, static_cast<std::int32_t>(::getpid()));
        QCOMPARE(processes.at(pid).startMethod, static_cast<std::int32_t>(method));

        std::vector<Event> mine = sink.eventsOf(pid);
        std::vector<std::uint64_t> sends;
        for (const Event& e : mine) {
            if (e.type == EventType::PipeSend) {
                QCOMPARE(e.object, id);
                sends.push_back(e.arg);
            }
        }
        QCOMPARE(sends.size(), std::size_t{kCount});
        for (std::size_t i = 0; i < sends.size(); ++i) {
            QCOMPARE(sends[i], i);
        }
        QVERIFY(sink.has(EventType::ProcessStarted, static_cast<std::uint64_t>(pid)));
        QVERIFY(sink.has(EventType::ProcessExited, static_cast<std::uint64_t>(pid)));
        QVERIFY(sink.has(EventType::ProcessCreated, static_cast<std::uint64_t>(pid)));
        QVERIFY(sink.has(EventType::ProcessReaped, static_cast<std::uint64_t>(pid)));

        // The grandchild: its own ring, announced by the child over the inherited channel.
        std::int32_t grandchild = 0;
        for (const auto& [p, info] : processes) {
            if (info.parentPid == pid) {
                grandchild = p;
            }
        }
        QVERIFY2(grandchild != 0, "the grandchild's ring never reached the monitor");
        bool recv = false;
        for (const Event& e : sink.eventsOf(grandchild)) {
            recv = recv || (e.type == EventType::PipeRecv && e.object == id && e.arg == 7);
        }
        QVERIFY(recv);

        const auto objects = sink.objects();
        QVERIFY(objects.count(id) == 1);
        QCOMPARE(objects.at(id).name, std::string("test-pipe"));
        QCOMPARE(objects.at(id).kind, ObjectKind::Pipe);
        QCOMPARE(objects.at(id).capacity, 65536U);
        QVERIFY(!sink.outOfOrder());
        monitor.stop();
        QVERIFY(!trace::enabled());
    }

    /// The same accounting end to end: a child floods its (small) ring through trace::emit while
    /// the monitor drains; what reached the sink plus what the drops table says is exactly what
    /// the child emitted.
    void monitorCountsDropsExactly_data() { addStartMethodRows(); }
    void monitorCountsDropsExactly() {
        constexpr std::uint64_t kCount = 200000;
        MemorySink sink;
        MonitorOptions options;
        options.shape = Tracer::Shape{2, 64};
        Monitor monitor(sink, options);
        Process child = rowContext().process(&floodEmit, {kCount});
        child.start();
        child.join(60.0);
        QCOMPARE(child.exitCode(), 0);
        QVERIFY(monitor.flush());
        const auto pid = static_cast<std::int32_t>(*child.pid());
        std::uint64_t drained = 0;
        std::uint64_t marked = 0;
        for (const Event& e : sink.eventsOf(pid)) {
            if (e.type == EventType::EventsDropped) {
                marked += e.arg;
            } else {
                ++drained;
            }
        }
        const std::uint64_t dropped = sink.dropsOf(pid);
        QVERIFY(dropped > 0);
        QVERIFY(marked <= dropped);
        // Written: the flood plus the child's own ProcessStarted and ProcessExited.
        QCOMPARE(drained + dropped, kCount + 2);
    }

    void threadsHaveTheirOwnLanes() {
        MemorySink sink;
        Monitor monitor(sink);
        constexpr int kThreads = 3;
        constexpr std::uint64_t kEach = 2000;
        std::vector<std::thread> threads;
        // All threads hold a lane at the same time (a thread that ended gives its lane back, and
        // the next one would continue in it).
        std::latch allBound(kThreads);
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([t, &allBound] {
                for (std::uint64_t i = 0; i < kEach; ++i) {
                    if (i == 1) {
                        allBound.arrive_and_wait();
                    }
                    trace::emit(EventType::SemaphoreRelease, static_cast<std::uint64_t>(t + 1), i);
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        QVERIFY(monitor.flush());
        std::map<std::uint64_t, std::vector<std::uint64_t>> args;
        std::map<std::uint64_t, std::set<std::int32_t>> tids;
        for (const Event& e : sink.events()) {
            if (e.type == EventType::SemaphoreRelease) {
                args[e.object].push_back(e.arg);
                tids[e.object].insert(e.tid);
            }
        }
        QCOMPARE(static_cast<int>(args.size()), kThreads);
        std::set<std::int32_t> allTids;
        for (const auto& [object, list] : args) {
            QCOMPARE(list.size(), std::size_t{kEach});
            for (std::size_t i = 0; i < list.size(); ++i) {
                QCOMPARE(list[i], i);
            }
            QCOMPARE(tids[object].size(), std::size_t{1});
            allTids.insert(*tids[object].begin());
        }
        QCOMPARE(static_cast<int>(allTids.size()), kThreads);
        QCOMPARE(monitor.stats().dropped, 0U);
    }

    void monitorNeverReaps_data() {
        QTest::addColumn<QString>("method");
        QTest::newRow("fork") << QStringLiteral("fork");
        QTest::newRow("spawn") << QStringLiteral("spawn");
    }
    void monitorNeverReaps() {
        QFETCH(QString, method);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("zombie.fstrace").toStdString();
        {
            TraceWriter writer(path, TraceMeta{"zombie", "{}", method.toStdString(), {}, {}});
            Monitor monitor(writer);
            Process child = getContext(method.toStdString()).process(&returnAtOnce);
            child.start();
            const pid_t pid = *child.pid();
            QVERIFY(waitForExit(pid, 20.0)); // ended, not reaped (a pidfd, no wait*())

            TraceReader reader(path);
            bool seen = false;
            const auto deadline = Clock::now() + std::chrono::seconds(20);
            while (!seen && Clock::now() < deadline) {
                QVERIFY(monitor.flush());
                const auto events = reader.events(0, 1'000'000);
                seen = std::any_of(events.begin(), events.end(), [&](const Event& e) {
                    return e.type == EventType::ProcessZombie &&
                           e.object == static_cast<std::uint64_t>(pid) && e.pid == ::getpid();
                });
            }
            QVERIFY2(seen, "the monitor never reported the zombie it should see in /proc");
            // Observing changed nothing: the child is still a zombie, waiting for its parent.
            QCOMPARE(procStateOf(pid), 'Z');
            SystemState state = stateAt(reader, INT64_MAX);
            QCOMPARE(state.processes.at(pid).phase, ProcessPhase::Zombie);
            QCOMPARE(state.zombieCount(), 1);

            child.join(10.0);
            QCOMPARE(child.exitCode(), 0);
            QCOMPARE(procStateOf(pid), '\0');
            QVERIFY(monitor.flush());
            state = stateAt(reader, INT64_MAX);
            QCOMPARE(state.processes.at(pid).phase, ProcessPhase::Reaped);
            QCOMPARE(state.zombieCount(), 0);
            QVERIFY(monitor.error().empty());
        }
        TraceReader finished(path);
        QVERIFY(finished.finished());
    }
};

FORKSCOPE_TEST_MAIN(TestEventRing)
#include "tst_event_ring.moc"
