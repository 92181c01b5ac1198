// The wait-for graph and its diagnoses, on states built event by event through the same
// StateModel a run uses: each kind of hang, and the cases that must not be called one.
#include "analysis/diagnosis.h"
#include "test_main.h"
#include "trace/state_model.h"

#include <QtTest/QtTest>

using namespace forkscope;

namespace {

constexpr std::int32_t kMain = 100;
constexpr std::int32_t kWorker = 101;
constexpr std::int32_t kOther = 102;
constexpr std::uint64_t kQueue = kFirstObjectId + 1;
constexpr std::uint64_t kLock = kFirstObjectId + 2;
constexpr std::uint64_t kLock2 = kFirstObjectId + 3;
constexpr std::uint64_t kMutex = kFirstObjectId + 4;
constexpr std::uint64_t kPool = kFirstObjectId + 5;

/// Builds a state by applying events, as the trace writer and the live sink do.
struct Story {
    StateModel model;
    std::uint64_t seq = 0;
    std::int64_t ts = 1000;
    WaitForGraph::Input input;

    Story() {
        input.processNames = {{kMain, "main"}, {kWorker, "worker-0"}, {kOther, "worker-1"}};
        input.objects[kQueue] = ObjectInfo{kQueue, ObjectKind::Queue, "q", 65536, kMain, 0};
        input.objects[kLock] = ObjectInfo{kLock, ObjectKind::Lock, "a", 0, kMain, 0};
        input.objects[kLock2] = ObjectInfo{kLock2, ObjectKind::Lock, "b", 0, kMain, 0};
        input.objects[kMutex] = ObjectInfo{kMutex, ObjectKind::ThreadMutex, "log", 0, kMain, 0};
        input.objects[kPool] = ObjectInfo{kPool, ObjectKind::Pool, "pool", 0, kMain, 0};
    }
    Story& on(std::int32_t pid, EventType type, std::uint64_t object, std::uint64_t arg = 0,
              std::int32_t tid = 0) {
        Event e;
        e.ts = ts += 10;
        e.pid = pid;
        e.tid = tid == 0 ? pid : tid;
        e.type = type;
        e.object = object;
        e.arg = arg;
        model.apply(e, ++seq);
        return *this;
    }
    Story& started(std::int32_t child, std::int32_t parent) {
        on(parent, EventType::ProcessCreated, static_cast<std::uint64_t>(child));
        return on(child, EventType::ProcessStarted, static_cast<std::uint64_t>(child),
                  static_cast<std::uint64_t>(parent));
    }
    Story& blocked(std::int32_t pid, std::uint64_t on, EventType by) {
        return this->on(pid, EventType::Blocked, on, static_cast<std::uint64_t>(by));
    }
    std::optional<Diagnosis> diagnose() {
        input.state = &model.state();
        return Diagnosis::diagnose(input);
    }
};

QString chainOf(const Diagnosis& d) {
    QStringList lines;
    for (const auto& c : d.chain) {
        lines << QString::fromStdString(c);
    }
    return lines.join(" | ");
}

} // namespace

class TestDiagnosis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void joinBeforeGetIsADeadlockThroughTheFeeder() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain);
        s.on(kWorker, EventType::QueuePut, kQueue, 1000000);
        s.on(kWorker, EventType::QueueFeederWrite, kQueue, 65536, kWorker + 1000);
        s.on(kWorker, EventType::QueueFeederBlocked, kQueue, 1000000 - 65536, kWorker + 1000);
        s.blocked(kWorker, kQueue, EventType::QueueFeederWrite);
        s.blocked(kMain, kWorker, EventType::ProcessReaped);
        const auto d = s.diagnose();
        QVERIFY(d);
        QVERIFY(d->outcome == Outcome::Deadlock);
        QCOMPARE(d->kind, std::string("deadlock"));
        QCOMPARE(d->guideline, std::string("Joining processes that use queues"));
        const QString chain = chainOf(*d);
        QVERIFY2(chain.startsWith("main joins worker-0"), qPrintable(chain));
        QVERIFY2(chain.contains("feeder"), qPrintable(chain));
        QVERIFY2(chain.contains("64 KiB"), qPrintable(chain));
        QVERIFY2(chain.contains("only main could read"), qPrintable(chain));
        QCOMPARE(d->cycle.size(), std::size_t{3}); // main -> worker -> feeder -> main
    }

    void aWaitThatIsStillRunningIsNotDiagnosed() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain);
        s.blocked(kMain, kWorker, EventType::ProcessReaped); // the worker still computes
        QVERIFY(!s.diagnose());
        s.on(kWorker, EventType::ProcessExited, kWorker, 0); // now a zombie: join will return
        QVERIFY(!s.diagnose());
    }

    void lockHeldByADeadProcessIsAbandoned() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain).started(kOther, kMain);
        s.on(kWorker, EventType::LockAcquire, kLock, 1);
        s.on(kWorker, EventType::ProcessExited, kWorker, static_cast<std::uint64_t>(-15));
        s.on(kMain, EventType::ProcessReaped, kWorker, static_cast<std::uint64_t>(-15));
        s.on(kOther, EventType::LockWait, kLock);
        s.blocked(kMain, kOther, EventType::ProcessReaped);
        const auto d = s.diagnose();
        QVERIFY(d);
        QVERIFY(d->outcome == Outcome::Stall);
        QCOMPARE(d->kind, std::string("abandoned-lock"));
        QCOMPARE(d->guideline, std::string("Avoid terminating processes"));
        const QString chain = chainOf(*d);
        QVERIFY2(chain.contains("main joins worker-1") && chain.contains("held by worker-0"),
                 qPrintable(chain));
        QVERIFY(d->cycle.empty());
    }

    void twoLocksTakenInOppositeOrderAreADeadlock() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain).started(kOther, kMain);
        s.on(kWorker, EventType::LockAcquire, kLock, 1).on(kOther, EventType::LockAcquire, kLock2, 1);
        s.on(kWorker, EventType::LockWait, kLock2).on(kOther, EventType::LockWait, kLock);
        s.blocked(kMain, kWorker, EventType::ProcessReaped);
        const auto d = s.diagnose();
        QVERIFY(d);
        QVERIFY(d->outcome == Outcome::Deadlock);
        QCOMPARE(d->guideline, std::string("Synchronization between processes"));
        QVERIFY2(chainOf(*d).contains("lock 'b' is held by worker-1"), qPrintable(chainOf(*d)));
    }

    void mutexCopiedLockedByForkIsNamed() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1);
        s.on(kMain, EventType::LockAcquire, kMutex, 1, kMain + 7); // a helper thread of main
        s.started(kWorker, kMain);
        s.on(kWorker, EventType::LockWait, kMutex);
        s.blocked(kMain, kWorker, EventType::ProcessReaped);
        const auto d = s.diagnose();
        QVERIFY(d);
        QCOMPARE(d->kind, std::string("fork-copied-mutex"));
        QCOMPARE(d->guideline, std::string("Contexts and start methods"));
    }

    void poolResultFromAKilledWorkerNeverComes() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain).started(kOther, kMain);
        s.on(kWorker, EventType::PoolTaskStarted, kPool, 1);
        s.on(kMain, EventType::ProcessReaped, kWorker, static_cast<std::uint64_t>(-9));
        s.blocked(kOther, kPool + 100, EventType::QueueGet); // the idle worker waits for tasks
        s.blocked(kMain, kPool, EventType::PoolTaskFinished);
        const auto d = s.diagnose();
        QVERIFY(d);
        QVERIFY2(d->kind == "dead-pool-worker" || d->outcome == Outcome::Deadlock, d->kind.c_str());
        QCOMPARE(d->guideline, std::string("Using a pool of workers"));
    }

    void diagnosisJsonHasTheContractFields() {
        Story s;
        s.on(kMain, EventType::ProcessStarted, kMain, 1).started(kWorker, kMain);
        s.on(kWorker, EventType::QueueFeederBlocked, kQueue, 1, kWorker + 1000);
        s.blocked(kWorker, kQueue, EventType::QueueFeederWrite);
        s.blocked(kMain, kWorker, EventType::ProcessReaped);
        const auto json = s.diagnose()->toJson();
        for (const char* key : {"kind", "chain", "explanation", "guideline", "fix", "graph"}) {
            QVERIFY2(json.contains(key), key);
        }
        QVERIFY(json["chain"].is_array());
        QVERIFY(json["graph"]["nodes"].size() >= 3);
        QVERIFY(json["graph"]["edges"].size() >= 3);
        QCOMPARE(json["graph"]["cycle"].size(), std::size_t{3});
    }
};

FORKSCOPE_TEST_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
