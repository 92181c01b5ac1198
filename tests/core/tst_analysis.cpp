// state_at and series: hand-checked scenarios for the replay rules, a random event sequence
// checked against a brute-force replay at many times (exercising keyframes and seeking), and
// the downsampled metric series.
#include "analysis/series.h"
#include "analysis/state_at.h"
#include "test_events.h"
#include "test_main.h"
#include "trace/state_model.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

#include <QTemporaryDir>
#include <random>

using namespace forkscope;
using forkscope::test::ev;

namespace {

constexpr std::uint64_t kLock = kFirstObjectId + 1;
constexpr std::uint64_t kLock2 = kFirstObjectId + 2;
constexpr std::uint64_t kQueue = kFirstObjectId + 3;
constexpr std::uint64_t kPipe = kFirstObjectId + 4;
constexpr std::uint64_t kSem = kFirstObjectId + 5;
constexpr std::uint64_t kBarrier = kFirstObjectId + 6;

/// A random but coherent run: processes come and go, locks are waited for, acquired and
/// released by their owners, queues and pipes fill and drain, barriers pass.
std::vector<Event> randomRun(std::size_t n, std::uint32_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Event> out;
    std::int64_t ts = 1'000'000;
    std::vector<std::int32_t> alive;
    std::vector<std::int32_t> zombies;
    std::int32_t nextPid = 200;
    std::map<std::uint64_t, std::int32_t> owner;
    std::map<std::int32_t, std::uint64_t> waiting; // pid -> lock it waits for
    std::int64_t depth = 0;
    std::int64_t pipe = 0;
    auto pick = [&](const std::vector<std::int32_t>& v) { return v[rng() % v.size()]; };
    while (out.size() < n) {
        ts += static_cast<std::int64_t>(rng() % 3 == 0 ? 0 : rng() % 5000); // equal times happen
        const int action = static_cast<int>(rng() % 14);
        if (alive.size() < 3 || (action == 0 && alive.size() < 12)) {
            const std::int32_t pid = nextPid++;
            out.push_back(ev(ts, 100, EventType::ProcessCreated, static_cast<std::uint64_t>(pid), 0));
            out.push_back(ev(ts, pid, EventType::ProcessStarted, static_cast<std::uint64_t>(pid), 100));
            alive.push_back(pid);
            continue;
        }
        const std::int32_t pid = pick(alive);
        const bool free = !waiting.count(pid);
        switch (action) {
        case 1:
        case 2: { // lock: acquire (maybe after a wait) or release
            const std::uint64_t lock = rng() % 2 ? kLock : kLock2;
            if (!free) {
                const std::uint64_t w = waiting[pid];
                if (owner[w] == 0) {
                    out.push_back(ev(ts, pid, EventType::LockAcquire, w, 1));
                    owner[w] = pid;
                    waiting.erase(pid);
                } else if (rng() % 3 == 0) { // acquire(timeout=...) gave up
                    out.push_back(ev(ts, pid, EventType::Running, w, 1));
                    waiting.erase(pid);
                }
            } else if (owner[lock] == pid) {
                out.push_back(ev(ts, pid, EventType::LockRelease, lock, 0));
                owner[lock] = 0;
            } else if (owner[lock] == 0 && rng() % 2) {
                out.push_back(ev(ts, pid, EventType::LockAcquire, lock, 1));
                owner[lock] = pid;
            } else if (owner[lock] != 0) {
                out.push_back(ev(ts, pid, EventType::LockWait, lock));
                waiting[pid] = lock;
            }
            break;
        }
        case 3:
            if (free) {
                out.push_back(ev(ts, pid, EventType::QueuePut, kQueue, 100));
                out.push_back(ev(ts, pid, EventType::QueueFeederWrite, kQueue, 100));
                ++depth;
                pipe += 100;
            }
            break;
        case 4:
            if (free && depth > 0) {
                out.push_back(ev(ts, pid, EventType::QueueGet, kQueue, 100));
                --depth;
                pipe -= 100;
            }
            break;
        case 5:
            if (free) {
                out.push_back(ev(ts, pid, EventType::PipeSend, kPipe, rng() % 4096));
            }
            break;
        case 6:
            if (free) {
                out.push_back(ev(ts, pid, EventType::PipeRecv, kPipe, rng() % 4096));
            }
            break;
        case 7:
            if (free) {
                out.push_back(ev(ts, pid, EventType::Blocked, kSem,
                                 static_cast<std::uint64_t>(EventType::SemaphoreWait)));
                out.push_back(ev(ts, pid, EventType::Running, kSem, 0));
            }
            break;
        case 8:
            if (free) {
                out.push_back(ev(ts, pid,
                                 rng() % 2 ? EventType::SemaphoreAcquire : EventType::SemaphoreRelease, kSem,
                                 rng() % 4));
            }
            break;
        case 9:
            if (free) {
                out.push_back(ev(ts, pid, EventType::BarrierWait, kBarrier, 0));
            }
            break;
        case 10:
            out.push_back(ev(ts, pid, EventType::BarrierPass, kBarrier, 1));
            break;
        case 11: { // a process ends (releasing nothing: an abandoned lock stays owned)
            if (alive.size() > 3) {
                for (auto& [lock, who] : owner) {
                    if (who == pid && rng() % 2) {
                        out.push_back(ev(ts, pid, EventType::LockRelease, lock, 0));
                        who = 0;
                    }
                }
                waiting.erase(pid);
                out.push_back(
                    ev(ts, pid, EventType::ProcessExited, static_cast<std::uint64_t>(pid), rng() % 3));
                std::erase(alive, pid);
                zombies.push_back(pid);
            }
            break;
        }
        case 12:
            if (!zombies.empty()) {
                const std::int32_t z = pick(zombies);
                out.push_back(ev(ts, 1, EventType::ProcessZombie, static_cast<std::uint64_t>(z)));
            }
            break;
        case 13:
            if (!zombies.empty()) {
                const std::int32_t z = pick(zombies);
                out.push_back(ev(ts, 100, EventType::ProcessReaped, static_cast<std::uint64_t>(z), 0));
                std::erase(zombies, z);
            }
            break;
        default:
            break;
        }
    }
    out.resize(n);
    return out;
}

SystemState bruteForce(const std::vector<Event>& events, std::int64_t t) {
    StateModel model;
    for (std::size_t i = 0; i < events.size() && events[i].ts <= t; ++i) {
        model.apply(events[i], i + 1);
    }
    return model.state();
}

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    int files_ = 0;

    std::string write(const std::vector<Event>& events, std::uint32_t interval = 4096,
                      const std::vector<ObjectInfo>& objects = {}) {
        const std::string path = dir_.filePath(QString("t%1.fstrace").arg(++files_)).toStdString();
        TraceWriter writer(path, TraceMeta{}, TraceWriterOptions{interval});
        for (const ObjectInfo& o : objects) {
            writer.recordObject(o);
        }
        writer.appendEvents(events);
        writer.finish();
        return path;
    }

private Q_SLOTS:
    void processLifecycle() {
        const std::vector<Event> events = {
            ev(10, 100, EventType::ProcessCreated, 201, 1), ev(12, 201, EventType::ProcessStarted, 201, 100),
            ev(20, 201, EventType::LockWait, kLock),        ev(30, 100, EventType::LockAcquire, kLock, 1),
            ev(40, 100, EventType::LockRelease, kLock, 0),  ev(41, 201, EventType::LockAcquire, kLock, 1),
            ev(50, 201, EventType::ProcessExited, 201, 3),  ev(60, 1, EventType::ProcessZombie, 201),
            ev(70, 100, EventType::ProcessReaped, 201, 3),  ev(80, 1, EventType::ProcessZombie, 201),
        };
        const std::string path = write(events, 2);
        TraceReader reader(path);
        StateAt at(reader);
        QVERIFY(at.at(5).processes.empty());
        QCOMPARE(at.at(10).processes.at(201).phase, ProcessPhase::Created);
        QCOMPARE(at.at(10).processes.at(201).parentPid, 100);
        QCOMPARE(at.at(15).processes.at(201).phase, ProcessPhase::Running);
        SystemState s = at.at(35);
        QCOMPARE(s.processes.at(201).phase, ProcessPhase::Blocked);
        QCOMPARE(s.processes.at(201).blockedOn, kLock);
        QCOMPARE(s.processes.at(201).blockedBy, EventType::LockWait);
        QCOMPARE(s.locks.at(kLock).ownerPid, 100);
        QCOMPARE(s.locks.at(kLock).waiters.size(), std::size_t{1});
        QCOMPARE(s.locks.at(kLock).waiters[0].pid, 201);
        s = at.at(45);
        QCOMPARE(s.processes.at(201).phase, ProcessPhase::Running);
        QCOMPARE(s.locks.at(kLock).ownerPid, 201);
        QVERIFY(s.locks.at(kLock).waiters.empty());
        QCOMPARE(s.locks.at(kLock).contended, 1U);
        s = at.at(65);
        QCOMPARE(s.processes.at(201).phase, ProcessPhase::Zombie);
        QCOMPARE(s.processes.at(201).exitCode, std::int64_t{3});
        QCOMPARE(s.zombieCount(), 1);
        QCOMPARE(s.locks.at(kLock).ownerPid, 201); // abandoned, and visibly so
        // Reaped is final: a late /proc observation does not resurrect a zombie.
        QCOMPARE(at.at(100).processes.at(201).phase, ProcessPhase::Reaped);
        QCOMPARE(at.at(100).zombieCount(), 0);
    }

    void queueAndPipeLevels() {
        const std::vector<Event> events = {
            ev(10, 201, EventType::QueuePut, kQueue, 10),
            ev(11, 201, EventType::QueuePut, kQueue, 10),
            ev(12, 201, EventType::QueueFeederWrite, kQueue, 10),
            ev(13, 201, EventType::QueueFeederBlocked, kQueue, 10),
            ev(20, 202, EventType::QueueGet, kQueue, 10),
            ev(21, 201, EventType::QueueFeederUnblocked, kQueue),
            ev(22, 201, EventType::QueueFeederWrite, kQueue, 10),
            ev(30, 201, EventType::PipeSend, kPipe, 4000),
            ev(31, 202, EventType::PipeRecv, kPipe, 1500),
        };
        TraceReader reader(write(events));
        SystemState s = stateAt(reader, 15);
        QCOMPARE(s.queues.at(kQueue).depth, std::int64_t{2});
        QCOMPARE(s.queues.at(kQueue).pipeBytes, std::int64_t{10});
        QVERIFY(s.queues.at(kQueue).feederBlocked);
        s = stateAt(reader, 40);
        QCOMPARE(s.queues.at(kQueue).depth, std::int64_t{1});
        QCOMPARE(s.queues.at(kQueue).pipeBytes, std::int64_t{10});
        QVERIFY(!s.queues.at(kQueue).feederBlocked);
        QCOMPARE(s.pipes.at(kPipe).bytes, std::int64_t{2500});
    }

    void stateAtMatchesBruteForce() {
        const std::vector<Event> events = randomRun(20000, 42);
        constexpr std::uint32_t kInterval = 257;
        TraceReader reader(write(events, kInterval));
        StateAt at(reader);
        std::mt19937_64 rng(3);
        const std::int64_t first = events.front().ts;
        const std::int64_t last = events.back().ts;
        std::vector<std::int64_t> times = {first - 1, first, last, last + 1};
        for (std::size_t k = kInterval - 2; k < events.size(); k += kInterval * 7) {
            times.push_back(events[k].ts); // around keyframes, where off-by-one errors live
            times.push_back(events[k + 1].ts);
            times.push_back(events[k + 2].ts);
        }
        for (int i = 0; i < 150; ++i) {
            times.push_back(first +
                            static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(last - first)));
        }
        int zombiesSeen = 0;
        int waitersSeen = 0;
        // The brute force: one plain replay from the start, sampled at increasing times.
        std::sort(times.begin(), times.end());
        StateModel replay;
        std::size_t applied = 0;
        for (std::int64_t t : times) {
            while (applied < events.size() && events[applied].ts <= t) {
                replay.apply(events[applied], applied + 1);
                ++applied;
            }
            const SystemState& expected = replay.state();
            const SystemState actual = at.at(t);
            QVERIFY2(actual == expected, ("state differs at t=" + std::to_string(t)).c_str());
            QVERIFY(at.lastReplayed() <= kInterval + 0U || t < first);
            zombiesSeen += expected.zombieCount();
            for (const auto& [id, lock] : expected.locks) {
                waitersSeen += static_cast<int>(lock.waiters.size());
            }
        }
        // The random run really exercised the interesting states.
        QVERIFY(zombiesSeen > 0);
        QVERIFY(waitersSeen > 0);
        // A keyframe blob survives its round trip exactly.
        const SystemState mid = bruteForce(events, events[events.size() / 2].ts);
        QVERIFY(SystemState::decode(mid.encode()) == mid);
    }

    void seriesLevels() {
        // Depth: 0 → 3 (spike) → 1 over [0, 100]; buckets of 10.
        std::vector<Event> events = {
            ev(5, 201, EventType::QueuePut, kQueue, 1),     ev(6, 201, EventType::QueuePut, kQueue, 1),
            ev(7, 201, EventType::QueuePut, kQueue, 1),     ev(8, 202, EventType::QueueGet, kQueue, 0),
            ev(9, 202, EventType::QueueGet, kQueue, 0),     ev(55, 201, EventType::PipeSend, kPipe, 60000),
            ev(75, 202, EventType::PipeRecv, kPipe, 50000),
        };
        const std::string path = write(events, 4096, {{kPipe, ObjectKind::Pipe, "p", 65536, 201, 0}});
        TraceReader reader(path);
        Series depth = Series::compute(reader, Metric::QueueDepth, kQueue, 0, 100, 10);
        QCOMPARE(depth.points.size(), std::size_t{10});
        QCOMPARE(depth.points[0].t, std::int64_t{10});
        QCOMPARE(depth.points[0].value, 1.0);
        QCOMPARE(depth.points[0].max, 3.0); // the spike survives downsampling
        QCOMPARE(depth.points[0].min, 0.0);
        QCOMPARE(depth.points[9].value, 1.0);
        QCOMPARE(depth.points[9].t, std::int64_t{100});

        Series pipe = Series::compute(reader, Metric::PipeBytes, kPipe, 0, 100, 5);
        QCOMPARE(pipe.capacity, 65536U);
        QCOMPARE(pipe.points[2].value, 60000.0); // (40, 60]
        QCOMPARE(pipe.points[3].value, 10000.0); // (60, 80]
        QCOMPARE(pipe.points[3].max, 60000.0);

        // A window that starts mid-trace starts from the state at t0.
        Series late = Series::compute(reader, Metric::QueueDepth, kQueue, 50, 100, 1);
        QCOMPARE(late.points[0].value, 1.0);
        QCOMPARE(late.points[0].min, 1.0);
    }

    void seriesLocksAndZombies() {
        const std::vector<Event> events = {
            // bucket (0, 100]: uncontended acquire held 30, then a contended one waited 20, held 10
            ev(10, 201, EventType::LockAcquire, kLock, 1),
            ev(20, 202, EventType::LockWait, kLock),
            ev(40, 201, EventType::LockRelease, kLock, 0),
            ev(40, 202, EventType::LockAcquire, kLock, 1),
            ev(50, 202, EventType::LockRelease, kLock, 0),
            // bucket (100, 200]: another lock, and zombies come and go
            ev(110, 203, EventType::LockAcquire, kLock2, 1),
            ev(120, 203, EventType::LockRelease, kLock2, 0),
            ev(130, 201, EventType::ProcessExited, 201, 0),
            ev(140, 202, EventType::ProcessExited, 202, 0),
            ev(150, 100, EventType::ProcessReaped, 201, 0),
        };
        TraceReader reader(write(events));
        Series wait = Series::compute(reader, Metric::LockWaitNs, kLock, 0, 200, 2);
        QCOMPARE(wait.points[0].count, 2U);
        QCOMPARE(wait.points[0].value, 10.0); // (0 + 20) / 2
        QCOMPARE(wait.points[0].max, 20.0);
        QCOMPARE(wait.points[1].count, 0U);
        Series hold = Series::compute(reader, Metric::LockHoldNs, 0, 0, 200, 2); // all locks
        QCOMPARE(hold.points[0].value, 20.0);                                    // (30 + 10) / 2
        QCOMPARE(hold.points[1].value, 10.0);
        Series contention = Series::compute(reader, Metric::ContentionRatio, 0, 0, 200, 2);
        QCOMPARE(contention.points[0].value, 0.5);
        QCOMPARE(contention.points[1].value, 0.0);
        QCOMPARE(contention.points[1].count, 1U);
        Series zombies = Series::compute(reader, Metric::ZombieCount, 0, 0, 200, 2);
        QCOMPARE(zombies.points[0].value, 0.0);
        QCOMPARE(zombies.points[1].max, 2.0);
        QCOMPARE(zombies.points[1].value, 1.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 Series::compute(reader, Metric::ZombieCount, 0, 10, 10, 5));
    }
};

FORKSCOPE_TEST_MAIN(TestAnalysis)
#include "tst_analysis.moc"
