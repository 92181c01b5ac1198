// Cross-process synchronisation primitives (Python's multiprocessing.synchronize) under each
// start method: every blocking call is bounded, children report through pipes, nothing sleeps.
#include "engine_test.h"
#include "ipc/wait.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process/proc_stat.h"
#include "process_test_support.h"
#include "sync/barrier.h"
#include "sync/bounded_semaphore.h"
#include "sync/condition.h"
#include "sync/lock.h"
#include "sync/rlock.h"
#include "sync/robust_lock.h"
#include "sync/semaphore.h"
#include "sync/shared_value.h"
#include "sync/sync_event.h"
#include "test_main.h"
#include "throws_with.h"

#include <chrono>
#include <limits>
#include <mutex>
#include <sched.h>
#include <set>
#include <signal.h>
#include <thread>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

constexpr int kRefused = 5; ///< a child's exit code for "the misuse was refused as expected"
constexpr int kAccepted = 6;

bool receiveByte(int fd) {
    char byte = 0;
    return fdio::readExact(fd, &byte, 1, 10.0, "ready byte");
}

/// Holds lock arg 0, says "held" on arg 1, releases after a byte (or EOF) on arg 2.
template <class L> void holdUntilGate(TaskArgs& args) {
    L& lock = args.get<L>(0);
    if (!lock.acquire(true, 10.0)) {
        exitProcess(3);
    }
    sendByte(args.get<FdHandle>(1).fd());
    awaitByte(args.get<FdHandle>(2).fd());
    lock.release();
}
void holdLockUntilGate(TaskArgs& args) {
    holdUntilGate<Lock>(args);
}
FORKSCOPE_TASK(holdLockUntilGate);
void holdRLockUntilGate(TaskArgs& args) {
    holdUntilGate<RLock>(args);
}
FORKSCOPE_TASK(holdRLockUntilGate);
void holdRobustLockUntilGate(TaskArgs& args) {
    holdUntilGate<RobustLock>(args);
}
FORKSCOPE_TASK(holdRobustLockUntilGate);

/// Releases an RLock the parent holds: must be refused.
void releaseForeignRLock(TaskArgs& args) {
    try {
        args.get<RLock>(0).release();
    } catch (const ProcessError& e) {
        exitProcess(std::string(e.what()).find("held by") != std::string::npos ? kRefused : kAccepted + 1);
    }
    exitProcess(kAccepted);
}
FORKSCOPE_TASK(releaseForeignRLock);

/// Releases a Lock (arg 0) some other process holds, as Python allows; then releases it again,
/// which must be refused (not held). Exits kAccepted when both did what they should.
void releaseForeignLock(TaskArgs& args) {
    Lock& lock = args.get<Lock>(0);
    lock.release();
    try {
        lock.release();
    } catch (const ProcessError&) {
        exitProcess(kAccepted);
    }
    exitProcess(kAccepted + 1);
}
FORKSCOPE_TASK(releaseForeignLock);

void releaseSemaphore(TaskArgs& args) {
    Semaphore& semaphore = args.get<Semaphore>(0);
    for (int i = 0; i < args.get<int>(1); ++i) {
        semaphore.release();
    }
}
FORKSCOPE_TASK(releaseSemaphore);

void overReleaseBounded(TaskArgs& args) {
    try {
        args.get<BoundedSemaphore>(0).release();
    } catch (const ProcessError&) {
        exitProcess(kRefused);
    }
    exitProcess(kAccepted);
}
FORKSCOPE_TASK(overReleaseBounded);

/// Waits on the Condition (arg 0) for the flag (arg 1) after saying "waiting" on arg 2 while it
/// holds the lock, so the parent's acquire succeeds only once this child sleeps in wait().
void waitForFlag(TaskArgs& args) {
    Condition& condition = args.get<Condition>(0);
    Value<int>& flag = args.get<Value<int>>(1);
    std::lock_guard guard(condition);
    sendByte(args.get<FdHandle>(2).fd());
    exitProcess(condition.waitFor([&] { return flag.get() == 1; }, 10.0) ? 0 : 3);
}
FORKSCOPE_TASK(waitForFlag);

/// Says "waiting" on arg 2 while holding the Condition's lock (arg 0), then waits for a token
/// (Value arg 1 > 0) and takes one. A spurious wake-up finds no token and waits on: only a
/// notification meant for it lets it go. Exits 0 with a token, 3 without (after 10 s).
void takeToken(TaskArgs& args) {
    Condition& condition = args.get<Condition>(0);
    Value<int>& tokens = args.get<Value<int>>(1);
    bool took = false;
    {
        std::lock_guard guard(condition);
        sendByte(args.get<FdHandle>(2).fd());
        took = condition.waitFor([&] { return tokens.get() > 0; }, 10.0);
        if (took) {
            tokens.set(tokens.get() - 1);
        }
    } // released before the exit: the parent takes the lock again
    exitProcess(took ? 0 : 3);
}
FORKSCOPE_TASK(takeToken);

void notifyWithoutLock(TaskArgs& args) {
    try {
        args.get<Condition>(0).notify();
    } catch (const ProcessError&) {
        exitProcess(kRefused);
    }
    exitProcess(kAccepted);
}
FORKSCOPE_TASK(notifyWithoutLock);

/// Says "waiting" on arg 1, then waits for the Event (arg 0).
void waitEvent(TaskArgs& args) {
    sendByte(args.get<FdHandle>(1).fd());
    exitProcess(args.get<SyncEvent>(0).wait(10.0) ? 0 : 3);
}
FORKSCOPE_TASK(waitEvent);

/// Waits on the Barrier (arg 0) and reports the index, or "broken", on arg 1.
void barrierWait(TaskArgs& args) {
    std::string result;
    try {
        result = std::to_string(args.get<Barrier>(0).wait(10.0));
    } catch (const BrokenBarrierError&) {
        result = "broken";
    }
    sendText(args.get<FdHandle>(1).fd(), result);
}
FORKSCOPE_TASK(barrierWait);

} // namespace

class TestSync : public forkscope::test::EngineTest {
    Q_OBJECT

    /// Starts a child holding `lock`, returns it once it says "held".
    template <class L>
    Process startHolder(TaskFunction task, const L& lock, TestPipe& ready, TestPipe& gate) {
        Process p = rowContext().process(task, {lock, ready.writeHandle(), gate.readHandle()});
        p.start();
        if (!receiveByte(ready.read.get())) {
            p.kill();
            p.join(10.0);
            throw std::runtime_error("the holder child never reported that it holds the lock");
        }
        return p;
    }

    static int runToExit(Process p) {
        p.start();
        p.join(10.0);
        return p.exitCode().value_or(-1000);
    }

private Q_SLOTS:
    void initTestCase() {
        // The forkserver is a long-lived helper of this program; start it before the baseline.
        Process warm(getContext(StartMethod::Forkserver), &releaseSemaphore, {Semaphore(0), 0});
        warm.start();
        warm.join(10.0);
    }

    void lockAcrossProcesses_data() { addStartMethodRows(); }
    void lockAcrossProcesses() {
        Lock lock;
        TestPipe ready, gate;
        Process holder = startHolder(&holdLockUntilGate, lock, ready, gate);
        QCOMPARE(lock.ownerPid(), *holder.pid());
        QVERIFY(lock.ownerTid() != 0);
        QVERIFY(!lock.isAbandoned());
        QVERIFY(!lock.heldByCaller());
        QVERIFY(!lock.acquire(false));
        QVERIFY(!lock.try_lock());
        QVERIFY(!lock.acquire(true, 0.05)); // times out
        sendByte(gate.write.get());
        QVERIFY(lock.acquire(true, 10.0));
        QCOMPARE(lock.ownerPid(), ::getpid());
        lock.release();
        QCOMPARE(lock.ownerPid(), 0);
        holder.join(10.0);
        QCOMPARE(holder.exitCode(), std::optional<int>(0));
    }

    void lockErrors() {
        Lock lock;
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.release()); // not held
        QVERIFY(lock.acquire());
        QVERIFY(lock.heldByCaller());
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.acquire()); // would deadlock
        QVERIFY(!lock.acquire(false));
        QVERIFY(!lock.acquire(true, 0.01));
        // Another thread may release it, as in Python ("any process or thread may release it").
        std::thread other([&] { lock.release(); });
        other.join();
        QVERIFY(!lock.heldByCaller());
        QCOMPARE(lock.ownerPid(), 0);
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.release()); // now it is not held
        QVERIFY(lock.acquire(false));
        lock.release();
    }

    void anyProcessMayReleaseALock_data() { addStartMethodRows(); }
    void anyProcessMayReleaseALock() {
        // The parent holds the lock; a child releases it (hand-over, as Python's docs allow),
        // and a second release there is refused. Then the lock is free for anyone.
        Lock lock;
        QVERIFY(lock.acquire());
        Process releaser = rowContext().process(&releaseForeignLock, {lock});
        releaser.start();
        releaser.join(10.0);
        QCOMPARE(releaser.exitCode(), std::optional<int>(kAccepted));
        QCOMPARE(lock.ownerPid(), 0);
        QVERIFY(lock.acquire(true, 5.0));
        lock.release();
    }

    void lockHandOverWakesASleeper() {
        // A thread asleep in acquire() is woken by a release from a third thread: the word says
        // "held with sleepers", so whoever releases must wake it.
        Lock lock;
        QVERIFY(lock.acquire());
        std::atomic<pid_t> sleeperTid{0};
        std::atomic<bool> got{false};
        std::thread sleeper([&] {
            sleeperTid = static_cast<pid_t>(::gettid());
            got = lock.acquire(true, 10.0);
            if (got) {
                lock.release();
            }
        });
        // Asleep in the futex ('S' in /proc/<tid>/stat): its only blocking call is acquire().
        QVERIFY(eventually([&] {
            const pid_t tid = sleeperTid.load();
            const auto stat = tid != 0 ? ProcStat::read(tid) : std::nullopt;
            return stat && stat->state == 'S';
        }));
        std::thread releaser([&] { lock.release(); });
        releaser.join();
        sleeper.join();
        QVERIFY(got.load());
        QCOMPARE(lock.ownerPid(), 0);
    }

    void hugeTimeoutsMeanForever() {
        // No clock can add 1e300 s (or infinity): such a timeout is forever, never an overflow
        // into a deadline in the past (or undefined behaviour, which UBSan reports).
        const double infinity = std::numeric_limits<double>::infinity();
        for (double seconds : {1e300, infinity, 2 * kForeverSeconds}) {
            QVERIFY(!Deadline::after(seconds).remaining().has_value());
            QVERIFY(!Deadline::after(seconds).expired());
        }
        QVERIFY(Deadline::after(kForeverSeconds).remaining().has_value()); // the longest finite one
        Semaphore semaphore(1);
        QVERIFY(semaphore.acquire(true, infinity));
        Lock lock;
        QVERIFY(lock.acquire(true, 1e300));
        lock.release();
        SyncEvent event;
        event.set();
        QVERIFY(event.wait(infinity));
    }

    void robustLockRefusesToWaitForItself() {
        RobustLock lock;
        QVERIFY(lock.acquire());
        QVERIFY(throwsWith<ProcessError>([&] { (void)lock.acquire(); }, "already holds"));
        QVERIFY(!lock.acquire(false));
        QVERIFY(!lock.acquire(true, 0.01));
        lock.release();
        QVERIFY(lock.acquire(true, 1e300)); // forever, not an overflowed deadline
        lock.release();
    }

    void rlockRecursionAndErrors_data() { addStartMethodRows(); }
    void rlockRecursionAndErrors() {
        RLock lock;
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.release()); // not held
        QVERIFY(lock.acquire());
        QVERIFY(lock.acquire(false));
        QVERIFY(lock.acquire(true, 0.01));
        QCOMPARE(lock.recursionCount(), 3u);
        QCOMPARE(runToExit(rowContext().process(&releaseForeignRLock, {lock})), kRefused);
        QCOMPARE(lock.recursionCount(), 3u);
        lock.release();
        lock.release();
        QVERIFY(lock.heldByCaller());
        lock.release();
        QVERIFY(!lock.heldByCaller());
        QCOMPARE(lock.ownerPid(), 0);
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.release()); // released too many times
    }

    void semaphoreAcrossProcesses_data() { addStartMethodRows(); }
    void semaphoreAcrossProcesses() {
        Semaphore semaphore(0);
        QVERIFY(!semaphore.acquire(false));
        QVERIFY(!semaphore.acquire(true, 0.05));
        Process p = rowContext().process(&releaseSemaphore, {semaphore, 2});
        p.start();
        QVERIFY(semaphore.acquire(true, 10.0));
        QVERIFY(semaphore.acquire(true, 10.0));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QCOMPARE(semaphore.getValue(), 0u);
        QVERIFY(!semaphore.acquire(true, 0.01));
        semaphore.release(3);
        QCOMPARE(semaphore.getValue(), 3u); // unbounded: may exceed the initial value
    }

    void boundedSemaphore_data() { addStartMethodRows(); }
    void boundedSemaphore() {
        BoundedSemaphore semaphore(2);
        QCOMPARE(runToExit(rowContext().process(&overReleaseBounded, {semaphore})), kRefused);
        QCOMPARE(semaphore.getValue(), 2u);
        QVERIFY(semaphore.acquire());
        QVERIFY(semaphore.acquire(false));
        QVERIFY(!semaphore.acquire(true, 0.01));
        QCOMPARE(runToExit(rowContext().process(&overReleaseBounded, {semaphore})), kAccepted);
        semaphore.release();
        QVERIFY_THROWS_EXCEPTION(ProcessError, semaphore.release());
        QCOMPARE(semaphore.getValue(), 2u);
        QVERIFY_THROWS_EXCEPTION(ProcessError, BoundedSemaphore(0));
    }

    void conditionAcrossProcesses_data() { addStartMethodRows(); }
    void conditionAcrossProcesses() {
        for (bool withPlainLock : {false, true}) {
            Condition condition = withPlainLock ? Condition(Lock()) : Condition();
            Value<int> flag(0);
            TestPipe waiting;
            Process p = rowContext().process(&waitForFlag, {condition, flag, waiting.writeHandle()});
            p.start();
            QVERIFY(receiveByte(waiting.read.get()));
            {
                // Acquiring succeeds only once the child released the lock inside wait().
                QVERIFY(condition.acquire(true, 10.0));
                flag.set(1);
                condition.notify();
                condition.release();
            }
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
        }
    }

    void conditionNotifyOneThenAll_data() { addStartMethodRows(); }
    void conditionNotifyOneThenAll() {
        // Three children sleep in wait(); notify(1) with one token lets exactly one go (it may
        // wake more, as documented, but they find no token); notifyAll() with two lets the rest.
        Condition condition;
        Value<int> tokens(0);
        std::vector<TestPipe> ready(3);
        std::vector<Process> waiters;
        for (TestPipe& pipe : ready) {
            waiters.push_back(rowContext().process(&takeToken, {condition, tokens, pipe.writeHandle()}));
            waiters.back().start();
        }
        for (TestPipe& pipe : ready) {
            QVERIFY(receiveByte(pipe.read.get()));
        }
        auto waitables = [&] {
            std::vector<Waitable> all;
            for (Process& p : waiters) {
                if (!p.exitCode()) {
                    all.emplace_back(p);
                }
            }
            return all;
        };
        // Listed before the notify, while none can have left (there is no token yet): listed
        // after it, the one that took the token may already have exited (and been reaped by
        // exitCode()), and the wait below would watch only the two that stay.
        const auto sleepers = waitables();
        QCOMPARE(sleepers.size(), std::size_t{3});
        {
            // Granted once the last child released the lock inside wait(): all three sleep.
            QVERIFY(condition.acquire(true, 10.0));
            tokens.set(1);
            condition.notify(1);
            condition.release();
        }
        const auto first = wait(sleepers, 5.0);
        QCOMPARE(first.size(), std::size_t{1});
        Process done = std::get<Process>(first[0]);
        done.join(5.0);
        QCOMPARE(done.exitCode(), std::optional<int>(0));
        QCOMPARE(waitables().size(), std::size_t{2}); // the other two still wait
        QVERIFY(wait(waitables(), 0.1).empty());
        {
            QVERIFY(condition.acquire(true, 10.0));
            tokens.set(2);
            condition.notifyAll();
            condition.release();
        }
        for (Process& p : waiters) {
            p.join(5.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
        }
        QCOMPARE(tokens.get(), 0);
    }

    void conditionNotifyAfterWaiterKilled_data() { addStartMethodRows(); }
    void conditionNotifyAfterWaiterKilled() {
        Condition condition;
        Value<int> flag(0);
        TestPipe waiting;
        Process victim = rowContext().process(&waitForFlag, {condition, flag, waiting.writeHandle()});
        victim.start();
        QVERIFY(receiveByte(waiting.read.get()));
        QVERIFY(condition.acquire(true, 10.0)); // the victim now sleeps inside wait()
        condition.release();
        victim.kill();
        victim.join(10.0);
        QCOMPARE(victim.exitCode(), std::optional<int>(-SIGKILL));
        std::lock_guard guard(condition);
        condition.notify(); // never waits for the dead waiter
        condition.notifyAll();
        QVERIFY(!condition.wait(0.01));
    }

    void conditionErrorsAndTimeouts_data() { addStartMethodRows(); }
    void conditionErrorsAndTimeouts() {
        Condition condition;
        QVERIFY_THROWS_EXCEPTION(ProcessError, condition.wait(0.01));
        QVERIFY_THROWS_EXCEPTION(ProcessError, condition.waitFor([] { return true; }, 0.01));
        QVERIFY_THROWS_EXCEPTION(ProcessError, condition.notify());
        QVERIFY_THROWS_EXCEPTION(ProcessError, condition.notifyAll());
        QVERIFY_THROWS_EXCEPTION(ProcessError, condition.release());
        QCOMPARE(runToExit(rowContext().process(&notifyWithoutLock, {condition})), kRefused);

        RLock lock;
        Condition recursive(lock);
        std::lock_guard outer(recursive);
        std::lock_guard inner(recursive);
        QVERIFY(!recursive.wait(0.05));      // nobody notifies: times out
        QCOMPARE(lock.recursionCount(), 2u); // every level restored after the wait
        QVERIFY(!recursive.waitFor([] { return false; }, 0.05));
        QVERIFY(recursive.waitFor([] { return true; }, 0.0));
        recursive.notify(2);
        recursive.notifyAll();
    }

    void eventAcrossProcesses_data() { addStartMethodRows(); }
    void eventAcrossProcesses() {
        SyncEvent event;
        QVERIFY(!event.isSet());
        QVERIFY(!event.wait(0.05));
        TestPipe waiting;
        Process p = rowContext().process(&waitEvent, {event, waiting.writeHandle()});
        p.start();
        QVERIFY(receiveByte(waiting.read.get()));
        event.set();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(event.isSet());
        QVERIFY(event.wait(0.0));
        event.clear();
        QVERIFY(!event.isSet());
        QVERIFY(!event.wait(0.01));
    }

    void eventPulseWakesEveryWaiter_data() { addStartMethodRows(); }
    void eventPulseWakesEveryWaiter() {
        // set() then clear(): in Python every waiter's wait() returns, False if the flag is
        // clear by the time it runs again. To be sure it is, both waiters are stopped (SIGSTOP)
        // inside wait() while the pulse happens; continued, each must return false at once, not
        // sleep on until its own 10 s timeout.
        SyncEvent event;
        TestPipe waitingA;
        TestPipe waitingB;
        Process a = rowContext().process(&waitEvent, {event, waitingA.writeHandle()});
        Process b = rowContext().process(&waitEvent, {event, waitingB.writeHandle()});
        a.start();
        b.start();
        QVERIFY(receiveByte(waitingA.read.get()));
        QVERIFY(receiveByte(waitingB.read.get()));
        QVERIFY(eventually([&] { return event.waiting() == 2; }));
        const pid_t pids[] = {*a.pid(), *b.pid()};
        for (pid_t pid : pids) {
            QCOMPARE(::kill(pid, SIGSTOP), 0);
            QVERIFY(eventually([pid] {
                const auto stat = ProcStat::read(pid);
                return stat && stat->state == 'T';
            }));
        }
        event.set();
        event.clear();
        for (pid_t pid : pids) {
            QCOMPARE(::kill(pid, SIGCONT), 0);
        }
        // Within 3 s for both (their own timeout is 10 s); exit 3 is wait() returning false.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        const auto left = [&] {
            return std::max(
                0.0, std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count());
        };
        a.join(left());
        b.join(left());
        QCOMPARE(a.exitCode(), std::optional<int>(3));
        QCOMPARE(b.exitCode(), std::optional<int>(3));
        QCOMPARE(event.waiting(), 0u);
    }

    void eventSetAfterWaiterKilled_data() { addStartMethodRows(); }
    void eventSetAfterWaiterKilled() {
        SyncEvent event;
        TestPipe waiting;
        Process victim = rowContext().process(&waitEvent, {event, waiting.writeHandle()});
        victim.start();
        QVERIFY(receiveByte(waiting.read.get()));
        // Killed inside wait(), not before it: it counted itself as a waiter, which it never undoes.
        QVERIFY(eventually([&] { return event.waiting() == 1; }));
        victim.kill();
        victim.join(10.0);
        QCOMPARE(victim.exitCode(), std::optional<int>(-SIGKILL));
        const auto start = std::chrono::steady_clock::now();
        event.set(); // must return at once, whatever the dead waiter left behind
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
        QVERIFY(event.isSet());
        TestPipe again;
        Process survivor = rowContext().process(&waitEvent, {event, again.writeHandle()});
        survivor.start();
        survivor.join(10.0);
        QCOMPARE(survivor.exitCode(), std::optional<int>(0));
    }

    void barrierAcrossProcesses_data() { addStartMethodRows(); }
    void barrierAcrossProcesses() {
        Barrier barrier(3);
        QCOMPARE(barrier.parties(), 3);
        TestPipe reportsA, reportsB; // one pipe each: two writers' frames could interleave
        Process a = rowContext().process(&barrierWait, {barrier, reportsA.writeHandle()});
        Process b = rowContext().process(&barrierWait, {barrier, reportsB.writeHandle()});
        a.start();
        b.start();
        QVERIFY(eventually([&] { return barrier.nWaiting() == 2; }));
        std::set<std::string> indices{std::to_string(barrier.wait(10.0))};
        indices.insert(receiveText(reportsA.read.get()));
        indices.insert(receiveText(reportsB.read.get()));
        QCOMPARE(indices, (std::set<std::string>{"0", "1", "2"}));
        QCOMPARE(barrier.nWaiting(), 0);
        a.join(10.0);
        b.join(10.0);
        QCOMPARE(a.exitCode(), std::optional<int>(0));
        QCOMPARE(b.exitCode(), std::optional<int>(0));
    }

    void barrierAction_data() { addStartMethodRows(); }
    void barrierAction() {
        Value<int> runs(0);
        Barrier barrier(2, [runs]() mutable { runs.set(runs.get() + 1); });
        TestPipe reports;
        Process p = rowContext().process(&barrierWait, {barrier, reports.writeHandle()});
        if (!rowIsFork()) {
            QVERIFY_THROWS_EXCEPTION(SerializationError, p.start()); // code does not travel
            return;
        }
        p.start();
        const int mine = barrier.wait(10.0);
        const std::string theirs = receiveText(reports.read.get());
        QCOMPARE(std::set<std::string>({std::to_string(mine), theirs}), (std::set<std::string>{"0", "1"}));
        QCOMPARE(runs.get(), 1); // run once, by the last to arrive, whichever process that was
        p.join(10.0);
    }

    void barrierBrokenAbortTimeoutReset_data() { addStartMethodRows(); }
    void barrierBrokenAbortTimeoutReset() {
        Barrier barrier(2);
        TestPipe reports;
        auto startWaiter = [&] {
            Process p = rowContext().process(&barrierWait, {barrier, reports.writeHandle()});
            p.start();
            return p;
        };
        // abort() breaks a waiting child's wait.
        Process first = startWaiter();
        QVERIFY(eventually([&] { return barrier.nWaiting() == 1; }));
        barrier.abort();
        QCOMPARE(receiveText(reports.read.get()), std::string("broken"));
        QVERIFY(barrier.broken());
        QCOMPARE(barrier.nWaiting(), 0);
        QVERIFY_THROWS_EXCEPTION(BrokenBarrierError, barrier.wait(1.0));
        first.join(10.0);

        // reset() repairs it; a wait that times out breaks it again.
        barrier.reset();
        QVERIFY(!barrier.broken());
        QVERIFY_THROWS_EXCEPTION(BrokenBarrierError, barrier.wait(0.05));
        QVERIFY(barrier.broken());
        barrier.reset();

        // reset() while a child waits: the child gets BrokenBarrierError, the barrier works after.
        Process second = startWaiter();
        QVERIFY(eventually([&] { return barrier.nWaiting() == 1; }));
        barrier.reset();
        QCOMPARE(receiveText(reports.read.get()), std::string("broken"));
        QVERIFY(!barrier.broken());
        second.join(10.0);
        Process third = startWaiter();
        const int mine = barrier.wait(10.0);
        QCOMPARE(std::set<std::string>({std::to_string(mine), receiveText(reports.read.get())}),
                 (std::set<std::string>{"0", "1"}));
        third.join(10.0);

        // The constructor's timeout applies when wait() gives none.
        Barrier impatient(2, {}, 0.05);
        QVERIFY_THROWS_EXCEPTION(BrokenBarrierError, impatient.wait());
        QVERIFY(impatient.broken());
        QVERIFY_THROWS_EXCEPTION(ProcessError, Barrier(0));
    }

    void abandonedLockDetected_data() { addStartMethodRows(); }
    void abandonedLockDetected() {
        Lock lock;
        RLock rlock;
        TestPipe ready, gate;
        Process holder = startHolder(&holdLockUntilGate, lock, ready, gate);
        Process rholder = startHolder(&holdRLockUntilGate, rlock, ready, gate);
        const pid_t pid = *holder.pid();
        const pid_t rpid = *rholder.pid();
        QVERIFY(!lock.isAbandoned());
        QVERIFY(!rlock.isAbandoned());
        holder.kill();
        rholder.kill();
        // Dead but not yet reaped: a zombie holds nothing, so it already counts as abandoned.
        QVERIFY(waitForExit(pid, 10.0));
        QVERIFY(waitForExit(rpid, 10.0));
        QVERIFY(lock.isAbandoned());
        QVERIFY(rlock.isAbandoned());
        QCOMPARE(lock.ownerPid(), pid);
        QCOMPARE(rlock.ownerPid(), rpid);
        holder.join(10.0);
        rholder.join(10.0);
        QCOMPARE(holder.exitCode(), std::optional<int>(-SIGKILL));
        QVERIFY(lock.isAbandoned());        // reaped: kill(pid, 0) now fails with ESRCH
        QVERIFY(!lock.acquire(true, 0.05)); // nobody will release it for us...
        lock.release();                     // ... but anybody may, as in Python: recovered
        QVERIFY(!lock.isAbandoned());
        QVERIFY(lock.acquire(false));
        lock.release();
        QVERIFY(rlock.isAbandoned()); // an RLock may only be released by its owner: stays lost
        QVERIFY_THROWS_EXCEPTION(ProcessError, rlock.release());
    }

    void robustLockRecovery_data() { addStartMethodRows(); }
    void robustLockRecovery() {
        RobustLock lock;
        TestPipe ready, gate;
        Process holder = startHolder(&holdRobustLockUntilGate, lock, ready, gate);
        const pid_t pid = *holder.pid();
        QCOMPARE(lock.ownerPid(), pid);
        QVERIFY(!lock.acquire(true, 0.05));
        holder.kill();
        holder.join(10.0);
        QVERIFY(lock.isAbandoned());
        QVERIFY(lock.acquire(true, 10.0));
        QVERIFY(lock.lastAcquireRecoveredFromDeadOwner());
        QCOMPARE(lock.lastDeadOwnerPid(), pid);
        QCOMPARE(lock.ownerPid(), ::getpid());
        lock.release();
        // Made consistent: usable as an ordinary lock again.
        QVERIFY(lock.acquire(false));
        QVERIFY(!lock.lastAcquireRecoveredFromDeadOwner());
        lock.release();
        QVERIFY_THROWS_EXCEPTION(ProcessError, lock.release());
    }
};

FORKSCOPE_TEST_MAIN(TestSync)
#include "tst_sync.moc"
