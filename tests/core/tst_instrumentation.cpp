// Every primitive emits the events docs/tracing.md specifies, under every start method: each
// test runs one primitive across a real child with a Monitor draining into memory, checks the
// sequence each side emitted, and that parent and child used the same object id. Waits are
// driven by the trace itself (the parent acts once the child's wait event is in the sink), so
// the "had to wait" paths are taken deterministically, without sleeping.
#include "events/emit.h"
#include "events/monitor.h"
#include "instrumentation_sync_event.h"
#include "ipc/pipe.h"
#include "ipc/queue.h"
#include "ipc/shm_queue.h"
#include "ipc/simple_queue.h"
#include "leak_check.h"
#include "manager/manager.h"
#include "memory_sink.h"
#include "pool_test_tasks.h"
#include "process/runtime.h"
#include "process_test_support.h"
#include "sync/barrier.h"
#include "sync/condition.h"
#include "sync/lock.h"
#include "sync/robust_lock.h"
#include "sync/semaphore.h"
#include "test_main.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

using namespace forkscope;
using namespace forkscope::test;

namespace {

void getOne(TaskArgs& args) {
    if (args.get<Queue>(0).get<int>(true, 30.0) != 42) {
        exitProcess(3);
    }
}
FORKSCOPE_TASK(getOne);

void putBigAndExit(TaskArgs& args) {
    args.get<Queue>(0).putBytes(std::vector<std::uint8_t>(args.get<std::uint64_t>(1), 7));
}
FORKSCOPE_TASK(putBigAndExit);

void getOneSimple(TaskArgs& args) {
    if (args.get<SimpleQueue>(0).get<int>(30.0) != 42) {
        exitProcess(3);
    }
}
FORKSCOPE_TASK(getOneSimple);

void getOneShm(TaskArgs& args) {
    if (args.get<ShmQueue>(0).get<int>(true, 30.0) != 42) {
        exitProcess(3);
    }
}
FORKSCOPE_TASK(getOneShm);

void echoOnce(TaskArgs& args) {
    Connection& end = args.get<Connection>(0);
    end.send(end.recv<std::string>(30.0) + "!");
}
FORKSCOPE_TASK(echoOnce);

void lockOnce(TaskArgs& args) {
    Lock& lock = args.get<Lock>(0);
    if (!lock.acquire(true, 30.0)) {
        exitProcess(3);
    }
    lock.release();
}
FORKSCOPE_TASK(lockOnce);

void holdAndExit(TaskArgs& args) {
    args.get<Lock>(0).acquire();
    args.get<RobustLock>(1).acquire();
}
FORKSCOPE_TASK(holdAndExit);

void acquireSemaphore(TaskArgs& args) {
    if (!args.get<Semaphore>(0).acquire(true, 30.0)) {
        exitProcess(3);
    }
}
FORKSCOPE_TASK(acquireSemaphore);

void waitOnCondition(TaskArgs& args) {
    Condition& condition = args.get<Condition>(0);
    condition.acquire();
    const bool notified = condition.wait(30.0);
    condition.release();
    if (!notified) {
        exitProcess(3);
    }
}
FORKSCOPE_TASK(waitOnCondition);

void waitAtBarrier(TaskArgs& args) {
    args.get<Barrier>(0).wait(30.0);
}
FORKSCOPE_TASK(waitAtBarrier);

void returnAtOnce(TaskArgs&) {}
FORKSCOPE_TASK(returnAtOnce);

/// A monitor draining into memory for the length of one test.
struct Traced {
    MemorySink sink;
    Monitor monitor{sink};

    /// Flushes until `done(events)` holds; false after `seconds`.
    bool waitFor(const std::function<bool(const std::vector<Event>&)>& done, double seconds = 20.0) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < until) {
            monitor.flush();
            if (done(sink.events())) {
                return true;
            }
        }
        return false;
    }
    bool waitForEvent(int pid, EventType type, std::uint64_t object) {
        return waitFor([&](const std::vector<Event>& all) {
            return std::any_of(all.begin(), all.end(), [&](const Event& e) {
                return e.pid == pid && e.type == type && e.object == object;
            });
        });
    }
    /// What `pid` emitted about `object`, in order.
    std::vector<Event> of(int pid, std::uint64_t object) {
        std::vector<Event> all = sink.eventsOf(pid);
        std::erase_if(all, [&](const Event& e) { return e.object != object; });
        return all;
    }
    std::vector<EventType> typesOf(int pid, std::uint64_t object) {
        std::vector<EventType> types;
        for (const Event& e : of(pid, object)) {
            types.push_back(e.type);
        }
        return types;
    }
};

std::string describe(const std::vector<EventType>& types) {
    std::string text;
    for (EventType t : types) {
        text += std::string(eventTypeName(t)) + " ";
    }
    return text;
}

#define EXPECT_TYPES(actual, ...)                                                                            \
    do {                                                                                                     \
        const std::vector<EventType> got_ = (actual);                                                        \
        const std::vector<EventType> want_{__VA_ARGS__};                                                     \
        QVERIFY2(got_ == want_, ("got " + describe(got_) + "; want " + describe(want_)).c_str());            \
    } while (false)

void joinOk(Process& child) {
    child.join(30.0);
    QCOMPARE(child.exitCode(), std::optional<int>(0));
}

} // namespace

class TestInstrumentation : public QObject {
    Q_OBJECT

    LeakSnapshot before_;

private Q_SLOTS:
    void initTestCase() {
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

    void untracedWithoutMonitor() {
        Queue q;
        Lock lock;
        QVERIFY(q.traceId() >= kFirstObjectId);
        QVERIFY(lock.traceId() >= kFirstObjectId);
        QVERIFY(q.traceId() != lock.traceId());
        QCOMPARE(Lock(trace::kUntraced).traceId(), std::uint64_t{0});
    }

    void queueGetThatWaits_data() { addStartMethodRows(); }
    void queueGetThatWaits() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN();
        Traced t;
        Queue q(0, "jobs");
        const std::uint64_t id = q.traceId();
        Process child = rowContext().process(&getOne, {q});
        child.start();
        const int pid = *child.pid();
        QVERIFY(t.waitForEvent(pid, EventType::Blocked, id));
        q.put(42);
        joinOk(child);
        q.close();
        q.joinThread();
        t.monitor.stop();
        const int self = ::getpid();
        EXPECT_TYPES(t.typesOf(pid, id), EventType::Blocked, EventType::Running, EventType::QueueGet);
        const std::vector<Event> childEvents = t.of(pid, id);
        QCOMPARE(childEvents[0].arg, static_cast<std::uint64_t>(EventType::QueueGet));
        QCOMPARE(childEvents[1].arg, std::uint64_t{0});
        // joinThread() may have had to wait for the feeder (Blocked/Running around it): leave that out.
        std::vector<Event> mine = t.of(self, id);
        std::erase_if(mine, [](const Event& e) {
            return e.type == EventType::Blocked || e.type == EventType::Running;
        });
        QCOMPARE(mine.size(), std::size_t{3});
        QCOMPARE(mine[0].type, EventType::ObjectCreated);
        QCOMPARE(mine[1].type, EventType::QueuePut);
        QCOMPARE(mine[2].type, EventType::QueueFeederWrite);
        QCOMPARE(mine[1].arg, childEvents[2].arg); // the item's size, put and got
        QCOMPARE(mine[2].arg, childEvents[2].arg);
        const auto objects = t.sink.objects();
        QVERIFY(objects.count(id) == 1);
        QCOMPARE(objects.at(id).kind, ObjectKind::Queue);
        QCOMPARE(objects.at(id).name, std::string("jobs"));
        QVERIFY(objects.at(id).capacity >= 4096); // F_GETPIPE_SZ
        // The queue's own pipe, locks and semaphore are silent building blocks.
        for (const auto& [objectId, info] : objects) {
            QVERIFY2(objectId == id || info.kind != ObjectKind::Lock, "a queue's lock was registered");
        }
    }

    void feederFlushHoldsUpExit_data() { addStartMethodRows(); }
    void feederFlushHoldsUpExit() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN();
        Traced t;
        Queue q(0, "results");
        const std::uint64_t id = q.traceId();
        constexpr std::uint64_t kBig = 1 << 20; // far more than the pipe holds
        Process child = rowContext().process(&putBigAndExit, {q, kBig});
        child.start();
        const int pid = *child.pid();
        // The child's main thread is in its exit hook, waiting for the feeder; the feeder waits
        // for room in the pipe: the "join before get" picture, as events.
        QVERIFY(t.waitFor([&](const std::vector<Event>&) {
            const auto types = t.typesOf(pid, id);
            return std::count(types.begin(), types.end(), EventType::Blocked) == 1 &&
                   std::count(types.begin(), types.end(), EventType::QueueFeederBlocked) == 1;
        }));
        QVERIFY(child.isAlive()); // held up by its feeder until somebody reads
        QCOMPARE(q.getBytes(true, 30.0).size(), std::size_t{kBig});
        joinOk(child);
        t.monitor.stop();
        const std::vector<Event> events = t.of(pid, id);
        std::vector<EventType> types;
        for (const Event& e : events) {
            types.push_back(e.type);
        }
        const auto at = [&](EventType type) {
            return std::find(types.begin(), types.end(), type) - types.begin();
        };
        QVERIFY2(at(EventType::QueuePut) < at(EventType::QueueFeederBlocked), describe(types).c_str());
        QVERIFY(at(EventType::QueueFeederBlocked) < at(EventType::QueueFeederUnblocked));
        QVERIFY(at(EventType::QueueFeederUnblocked) < at(EventType::QueueFeederWrite));
        QVERIFY(at(EventType::Blocked) < at(EventType::Running));
        const Event& blocked = events[static_cast<std::size_t>(at(EventType::Blocked))];
        QCOMPARE(blocked.arg, static_cast<std::uint64_t>(EventType::QueueFeederWrite));
        const Event& feederBlocked = events[static_cast<std::size_t>(at(EventType::QueueFeederBlocked))];
        QVERIFY(feederBlocked.arg >= kBig);
        QVERIFY(feederBlocked.tid != blocked.tid); // the feeder thread, not the exiting one
        // Whether the parent's get had to wait depends on how far the feeder's write had got.
        const auto self = t.typesOf(::getpid(), id);
        const std::vector<EventType> direct{EventType::ObjectCreated, EventType::QueueGet};
        const std::vector<EventType> waited{EventType::ObjectCreated, EventType::Blocked, EventType::Running,
                                            EventType::QueueGet};
        QVERIFY2(self == direct || self == waited, describe(self).c_str());
    }

    void simpleAndShmQueues_data() { addStartMethodRows(); }
    void simpleAndShmQueues() {
        Traced t;
        SimpleQueue simple("simple");
        ShmQueue shm(8, 64, "shm");
        for (int round = 0; round < 2; ++round) {
            const bool useShm = round == 1;
            const std::uint64_t id = useShm ? shm.traceId() : simple.traceId();
            Process child = useShm ? rowContext().process(&getOneShm, {shm})
                                   : rowContext().process(&getOneSimple, {simple});
            child.start();
            const int pid = *child.pid();
            QVERIFY(t.waitForEvent(pid, EventType::Blocked, id));
            if (useShm) {
                shm.put(42);
            } else {
                simple.put(42);
            }
            joinOk(child);
            t.monitor.flush();
            const auto childTypes = t.typesOf(pid, id);
            QVERIFY2(childTypes.size() == 3 && childTypes[0] == EventType::Blocked &&
                         std::count(childTypes.begin(), childTypes.end(), EventType::QueueGet) == 1 &&
                         std::count(childTypes.begin(), childTypes.end(), EventType::Running) == 1,
                     describe(childTypes).c_str());
            EXPECT_TYPES(t.typesOf(::getpid(), id), EventType::ObjectCreated, EventType::QueuePut,
                         EventType::QueueFeederWrite);
        }
        t.monitor.stop();
    }

    /// A one-to-one ShmQueue has an untraced fast path for 16-64-byte items once a thread has
    /// its role: with tracing on, every put and get must still be recorded.
    void shmQueueOneToOneTraced() {
        Traced t;
        ShmQueue q(8, 64, "one-to-one", ShmQueue::Mode::OneToOne);
        const std::vector<std::uint8_t> item(32, 0x5A);
        std::vector<std::uint8_t> received;
        for (int i = 0; i < 3; ++i) {
            q.putBytes(item, false);
        }
        for (int i = 0; i < 3; ++i) {
            q.getBytesInto(received, false);
        }
        t.monitor.flush();
        EXPECT_TYPES(t.typesOf(::getpid(), q.traceId()), EventType::ObjectCreated, EventType::QueuePut,
                     EventType::QueueFeederWrite, EventType::QueuePut, EventType::QueueFeederWrite,
                     EventType::QueuePut, EventType::QueueFeederWrite, EventType::QueueGet,
                     EventType::QueueGet, EventType::QueueGet);
        t.monitor.stop();
    }

    void pipeRecvThatWaits_data() { addStartMethodRows(); }
    void pipeRecvThatWaits() {
        Traced t;
        auto [mine, theirs] = makePipe(true, "chat");
        const std::uint64_t id = mine.traceId();
        QCOMPARE(theirs.traceId(), id);
        Process child = rowContext().process(&echoOnce, {theirs});
        child.start();
        const int pid = *child.pid();
        QVERIFY(t.waitForEvent(pid, EventType::Blocked, id));
        mine.send(std::string("hi"));
        QCOMPARE(mine.recv<std::string>(30.0), std::string("hi!"));
        joinOk(child);
        t.monitor.stop();
        EXPECT_TYPES(t.typesOf(pid, id), EventType::Blocked, EventType::Running, EventType::PipeRecv,
                     EventType::PipeSend);
        const auto self = t.typesOf(::getpid(), id);
        QVERIFY2(self.size() >= 3 && self[0] == EventType::ObjectCreated && self[1] == EventType::PipeSend &&
                     self.back() == EventType::PipeRecv,
                 describe(self).c_str());
        const std::vector<Event> childEvents = t.of(pid, id);
        QCOMPARE(childEvents[2].arg, t.of(::getpid(), id)[1].arg); // bytes sent == bytes received
        QCOMPARE(t.sink.objects().at(id).kind, ObjectKind::Pipe);
        QVERIFY(t.sink.objects().at(id).capacity > 0);
    }

    void lockContention_data() { addStartMethodRows(); }
    void lockContention() {
        Traced t;
        Lock lock("guard");
        const std::uint64_t id = lock.traceId();
        lock.acquire();
        Process child = rowContext().process(&lockOnce, {lock});
        child.start();
        const int pid = *child.pid();
        QVERIFY(t.waitForEvent(pid, EventType::LockWait, id));
        lock.release();
        joinOk(child);
        t.monitor.stop();
        EXPECT_TYPES(t.typesOf(pid, id), EventType::LockWait, EventType::LockAcquire, EventType::LockRelease);
        EXPECT_TYPES(t.typesOf(::getpid(), id), EventType::ObjectCreated, EventType::LockAcquire,
                     EventType::LockRelease);
        QCOMPARE(t.of(pid, id)[1].arg, std::uint64_t{1});
        QCOMPARE(t.of(pid, id)[2].arg, std::uint64_t{0});
    }

    void abandonedLocks_data() { addStartMethodRows(); }
    void abandonedLocks() {
        Traced t;
        Lock lock("plain");
        RobustLock robust("robust");
        Process child = rowContext().process(&holdAndExit, {lock, robust});
        child.start();
        const int pid = *child.pid();
        joinOk(child);
        QVERIFY(!lock.acquire(true, 0.2)); // waits, notices the dead owner, times out
        QVERIFY(robust.acquire(true, 5.0));
        QCOMPARE(robust.lastDeadOwnerPid(), pid);
        robust.release();
        t.monitor.stop();
        EXPECT_TYPES(t.typesOf(pid, lock.traceId()), EventType::LockAcquire);
        EXPECT_TYPES(t.typesOf(::getpid(), lock.traceId()), EventType::ObjectCreated, EventType::LockWait,
                     EventType::LockAbandoned, EventType::Running);
        QCOMPARE(t.of(::getpid(), lock.traceId())[2].arg, static_cast<std::uint64_t>(pid));
        QCOMPARE(t.of(::getpid(), lock.traceId())[3].arg, std::uint64_t{1});
        const auto robustTypes = t.typesOf(::getpid(), robust.traceId());
        QVERIFY2(std::count(robustTypes.begin(), robustTypes.end(), EventType::LockAbandoned) == 1 &&
                     robustTypes.back() == EventType::LockRelease,
                 describe(robustTypes).c_str());
    }

    void semaphoreWaits_data() { addStartMethodRows(); }
    void semaphoreWaits() {
        Traced t;
        Semaphore semaphore(0, "slots");
        const std::uint64_t id = semaphore.traceId();
        Process child = rowContext().process(&acquireSemaphore, {semaphore});
        child.start();
        const int pid = *child.pid();
        QVERIFY(t.waitForEvent(pid, EventType::SemaphoreWait, id));
        semaphore.release();
        joinOk(child);
        t.monitor.stop();
        EXPECT_TYPES(t.typesOf(pid, id), EventType::SemaphoreWait, EventType::SemaphoreAcquire);
        QCOMPARE(t.of(pid, id)[1].arg, std::uint64_t{0});
        EXPECT_TYPES(t.typesOf(::getpid(), id), EventType::ObjectCreated, EventType::SemaphoreRelease);
        QCOMPARE(t.of(::getpid(), id)[1].arg, std::uint64_t{1});
    }

    void conditionEventBarrier_data() { addStartMethodRows(); }
    void conditionEventBarrier() {
        Traced t;
        const int self = ::getpid();
        {
            Condition condition("ready");
            const std::uint64_t id = condition.traceId();
            Process child = rowContext().process(&waitOnCondition, {condition});
            child.start();
            const int pid = *child.pid();
            QVERIFY(t.waitForEvent(pid, EventType::ConditionWait, id));
            condition.acquire();
            condition.notify();
            condition.release();
            joinOk(child);
            t.monitor.flush();
            EXPECT_TYPES(t.typesOf(pid, id), EventType::ConditionWait, EventType::ConditionWake);
            QCOMPARE(t.of(pid, id)[1].arg, std::uint64_t{0});
            EXPECT_TYPES(t.typesOf(self, id), EventType::ObjectCreated, EventType::ConditionNotify);
        }
        {
            Barrier barrier(2, {}, std::nullopt, "meet");
            const std::uint64_t id = barrier.traceId();
            Process child = rowContext().process(&waitAtBarrier, {barrier});
            child.start();
            const int pid = *child.pid();
            QVERIFY(t.waitForEvent(pid, EventType::BarrierWait, id));
            barrier.wait(30.0);
            joinOk(child);
            t.monitor.flush();
            EXPECT_TYPES(t.typesOf(pid, id), EventType::BarrierWait);
            EXPECT_TYPES(t.typesOf(self, id), EventType::ObjectCreated, EventType::BarrierPass);
            QCOMPARE(t.of(self, id)[1].arg, std::uint64_t{1});
        }
        {
            const std::uint64_t id = runSyncEventLocally();
            t.monitor.flush();
            EXPECT_TYPES(t.typesOf(self, id), EventType::ObjectCreated, EventType::EventSet,
                         EventType::EventClear, EventType::EventWait, EventType::EventWake);
            QCOMPARE(t.of(self, id)[4].arg, std::uint64_t{1}); // by timeout
        }
        t.monitor.stop();
    }

    void poolTasks_data() { addStartMethodRows(); }
    void poolTasks() {
        FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN();
        Traced t;
        std::uint64_t id = 0;
        {
            Pool pool(1, std::nullopt, {}, std::nullopt, rowContext());
            QCOMPARE(pool.apply(&square, 5), 25);
            pool.close();
            QVERIFY(pool.join(30.0));
        }
        t.monitor.stop();
        for (const auto& [objectId, info] : t.sink.objects()) {
            if (info.kind == ObjectKind::Pool) {
                id = objectId;
            }
        }
        QVERIFY(id != 0);
        const std::vector<Event> all = t.sink.events();
        std::vector<Event> queued;
        std::vector<Event> started;
        std::vector<Event> finished;
        for (const Event& e : all) {
            if (e.object != id) {
                continue;
            }
            if (e.type == EventType::PoolTaskQueued) {
                queued.push_back(e);
            } else if (e.type == EventType::PoolTaskStarted) {
                started.push_back(e);
            } else if (e.type == EventType::PoolTaskFinished) {
                finished.push_back(e);
            }
        }
        QCOMPARE(queued.size(), std::size_t{1});
        QCOMPARE(started.size(), std::size_t{1});
        QCOMPARE(finished.size(), std::size_t{1});
        QCOMPARE(queued[0].pid, static_cast<std::int32_t>(::getpid()));
        QVERIFY(started[0].pid != queued[0].pid); // the worker
        QCOMPARE(finished[0].pid, started[0].pid);
        QCOMPARE(started[0].arg, queued[0].arg); // one task id on both sides
        QCOMPARE(finished[0].arg, queued[0].arg);
    }

    void managerCalls() {
        Traced t;
        {
            Manager manager;
            manager.start();
            DictProxy dict = manager.dict();
            dict.set("k", 1);
            QCOMPARE(dict.get("k").get<int>(), 1);
            manager.shutdown();
        }
        t.monitor.stop();
        std::uint64_t id = 0;
        for (const auto& [objectId, info] : t.sink.objects()) {
            if (info.kind == ObjectKind::Manager) {
                id = objectId;
            }
        }
        QVERIFY(id != 0);
        EXPECT_TYPES(t.typesOf(::getpid(), id), EventType::ObjectCreated, EventType::ManagerCallBegin,
                     EventType::ManagerCallEnd, EventType::ManagerCallBegin, EventType::ManagerCallEnd);
        QVERIFY(t.of(::getpid(), id)[1].arg != t.of(::getpid(), id)[3].arg); // "__setitem__" vs "get"
    }
};

FORKSCOPE_TEST_MAIN(TestInstrumentation)
#include "tst_instrumentation.moc"
