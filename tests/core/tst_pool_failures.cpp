// Pool failures: a worker killed mid-task under both death policies, terminate() with work
// outstanding, use from another process, and Ctrl-C (a real SIGINT) during map.
#include "engine_test.h"
#include "pool/pool.h"
#include "pool_test_tasks.h"
#include "process/runtime.h"
#include "process_test_support.h"
#include "test_main.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <sstream>

using namespace forkscope;
using namespace forkscope::test;

namespace {

std::atomic<Pool*> g_sigintPool{nullptr};

void onSigint(int /*signal*/) {
    if (Pool* pool = g_sigintPool.load()) {
        pool->interrupt(); // async-signal-safe: a flag and an eventfd write
    }
}

/// A program that runs a pool and is hit by Ctrl-C: arg 0 reports to the test, 1 and 2 are
/// the workers' "started" pipe and gate, 3 the start method of the pool.
void mapThenSigint(TaskArgs& args) {
    const int report = args.get<FdHandle>(0).fd();
    const auto method = static_cast<StartMethod>(args.get<int>(3));
    struct sigaction action {};
    action.sa_handler = &onSigint;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    std::string outcome = "finished";
    std::ostringstream pids;
    {
        Pool pool(2, Target(&rememberPipes), {args.get<FdHandle>(1), args.get<FdHandle>(2)}, std::nullopt,
                  getContext(method));
        for (const WorkerStats& worker : pool.stats().workers) {
            pids << worker.pid << ' ';
        }
        sendText(report, pids.str());
        g_sigintPool.store(&pool);
        try {
            (void)pool.map(&blockAfterStarted, std::vector<int>{1, 2, 3, 4}, 1);
        } catch (const KeyboardInterrupt&) {
            outcome = "interrupted";
        }
        g_sigintPool.store(nullptr);
    } // the pool terminates here, as Python's `with` block does
    sendText(report, outcome);
}
FORKSCOPE_TASK(mapThenSigint);

std::vector<pid_t> parsePids(const std::string& text) {
    std::istringstream in(text);
    std::vector<pid_t> pids;
    pid_t pid = 0;
    while (in >> pid) {
        pids.push_back(pid);
    }
    return pids;
}

std::vector<pid_t> workerPids(const Pool& pool) {
    std::vector<pid_t> pids;
    for (const WorkerStats& worker : pool.stats().workers) {
        pids.push_back(worker.pid);
    }
    return pids;
}

} // namespace

class TestPoolFailures : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        (void)getContext(StartMethod::Forkserver);
        Pool warm(1, std::nullopt, {}, std::nullopt, getContext(StartMethod::Forkserver));
        QCOMPARE(warm.applyAsync(&square, 2).get(10.0), 4);
    }

    void killedWorkerPythonPolicyHangs_data() { addStartMethodRows(); }
    void killedWorkerPythonPolicyHangs() {
        TestPipe started;
        TestPipe gate;
        Pool pool(2, Target(&rememberPipes), {started.writeHandle(), gate.readHandle()}, std::nullopt,
                  rowContext(), WorkerDeathPolicy::Python);
        AsyncResult<int> result = pool.applyAsync(&blockAfterStarted, 1);
        const pid_t victim = readStartedPid(started.read.get());
        QVERIFY(victim > 0);
        QCOMPARE(::kill(victim, SIGKILL), 0);
        QVERIFY(waitForExit(victim, 10.0));
        // multiprocessing.Pool's hang (python/cpython#96062): the result never arrives; only
        // the caller's timeout ends the wait.
        QVERIFY_THROWS_EXCEPTION(TimeoutError, (void)result.get(0.5));
        QVERIFY(!result.ready());
        const PoolStats stats = pool.stats();
        QCOMPARE(stats.state, PoolState::Running);
        QCOMPARE(stats.workerReplacements, std::size_t{1});
        QCOMPARE(stats.workerDeaths, std::size_t{1});
        QCOMPARE(stats.tasksLost, std::size_t{1});
        const std::vector<pid_t> pids = workerPids(pool);
        QCOMPARE(pids.size(), std::size_t{2});
        QVERIFY(std::find(pids.begin(), pids.end(), victim) == pids.end());
        // The replaced pool still works.
        QCOMPARE(pool.applyAsync(&square, 6).get(10.0), 36);
    }

    void killedWorkerBrokenPolicyFails_data() { addStartMethodRows(); }
    void killedWorkerBrokenPolicyFails() {
        TestPipe started;
        TestPipe gate;
        Pool pool(2, Target(&rememberPipes), {started.writeHandle(), gate.readHandle()}, std::nullopt,
                  rowContext(), WorkerDeathPolicy::Broken);
        AsyncResult<int> result = pool.applyAsync(&blockAfterStarted, 1);
        const pid_t victim = readStartedPid(started.read.get());
        QVERIFY(victim > 0);
        QCOMPARE(::kill(victim, SIGKILL), 0);
        try {
            (void)result.get(10.0);
            QFAIL("get() should have thrown BrokenPoolError");
        } catch (const BrokenPoolError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("(pid " + std::to_string(victim) + ")") != std::string::npos, e.what());
            QVERIFY2(what.find("exit code -9") != std::string::npos, e.what());
            QVERIFY2(what.find("task 0 of apply") != std::string::npos, e.what());
        }
        QVERIFY(result.ready());
        QVERIFY(!result.successful());
        QVERIFY_THROWS_EXCEPTION(BrokenPoolError, (void)pool.applyAsync(&square, 2));
        QCOMPARE(pool.stats().state, PoolState::Broken);
        pool.close();
        const bool joined = pool.join(10.0);
        std::string left;
        for (const WorkerStats& worker : pool.stats().workers) {
            left += worker.name + " pid " + std::to_string(worker.pid) + " inflight " +
                    std::to_string(worker.chunksInFlight) + "; ";
        }
        QVERIFY2(joined, left.c_str()); // the other worker was stopped too
        QVERIFY(pool.stats().workers.empty());
    }

    void terminateWithOutstandingTasks_data() { addStartMethodRows(); }
    void terminateWithOutstandingTasks() {
        TestPipe started;
        TestPipe gate;
        Pool pool(2, Target(&rememberPipes), {started.writeHandle(), gate.readHandle()}, std::nullopt,
                  rowContext());
        auto pending = pool.mapAsync(&blockAfterStarted, std::vector<int>{1, 2, 3, 4, 5, 6}, 1);
        QVERIFY(readStartedPid(started.read.get()) > 0);
        QVERIFY(readStartedPid(started.read.get()) > 0);
        QCOMPARE(pool.stats().tasksRunning + pool.stats().tasksQueued, std::size_t{6});
        const std::vector<pid_t> pids = workerPids(pool);
        QCOMPARE(pids.size(), std::size_t{2});
        for (const WorkerStats& worker : pool.stats().workers) {
            QVERIFY(worker.busy); // each holds a blocked task
        }
        pool.terminate();
        for (pid_t pid : pids) {
            QVERIFY2(processGone(pid), qPrintable(QString("worker %1 is still there").arg(pid)));
        }
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)pending.get(1.0));
        QVERIFY(pool.join(5.0));
        QCOMPARE(pool.stats().state, PoolState::Terminated);
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)pool.applyAsync(&square, 1));
    }

    void destructorTerminates_data() { addStartMethodRows(); }
    void destructorTerminates() {
        TestPipe started;
        TestPipe gate;
        std::vector<pid_t> pids;
        {
            Pool pool(2, Target(&rememberPipes), {started.writeHandle(), gate.readHandle()}, std::nullopt,
                      rowContext());
            (void)pool.applyAsync(&blockAfterStarted, 1);
            QVERIFY(readStartedPid(started.read.get()) > 0);
            pids = workerPids(pool);
        }
        for (pid_t pid : pids) {
            QVERIFY(processGone(pid));
        }
    }

    void terminateFromCallback() {
        // The callback runs in the thread that drives the pool (here: the waiting caller).
        Pool pool(2, std::nullopt, {}, std::nullopt, getContext(StartMethod::Fork));
        Pool* self = &pool;
        AsyncResult<int> result = pool.applyAsync(&square, 3, [self](const int&) { self->terminate(); });
        QVERIFY(result.wait(10.0));
        QCOMPARE(result.get(1.0), 9);
        QCOMPARE(pool.stats().state, PoolState::Terminated);
        QVERIFY(pool.stats().workers.empty());
    }

    void useFromAnotherProcessIsRefused() {
        // Only fork can hand a pool object to another process at all.
        Pool pool(1, std::nullopt, {}, std::nullopt, getContext(StartMethod::Fork));
        Pool* shared = &pool;
        Process child(getContext(StartMethod::Fork), [shared](TaskArgs&) {
            int refused = 0;
            try {
                (void)shared->applyAsync(&square, 2);
            } catch (const ProcessError& e) {
                refused += std::string(e.what()).find("only be used by the process that created it") !=
                           std::string::npos;
            }
            try {
                (void)shared->stats();
            } catch (const ProcessError&) {
                ++refused;
            }
            try {
                shared->close();
            } catch (const ProcessError&) {
                ++refused;
            }
            exitProcess(refused == 3 ? 5 : 6);
        });
        child.start();
        child.join(10.0);
        QCOMPARE(child.exitCode(), std::optional<int>(5));
        // The child's attempt changed nothing here.
        QCOMPARE(pool.applyAsync(&square, 3).get(10.0), 9);
        QCOMPARE(pool.stats().workers.size(), std::size_t{1});
    }

    void sigintDuringMap_data() { addStartMethodRows(); }
    void sigintDuringMap() {
#if defined(__SANITIZE_THREAD__)
        if (rowIsFork()) {
            QSKIP("ThreadSanitizer cannot follow a forked child that starts threads (the pool's driver "
                  "thread)");
        }
#endif
        TestPipe report;
        TestPipe started;
        TestPipe gate;
        const Context ctx = rowContext();
        Process program =
            ctx.process(&mapThenSigint, {report.writeHandle(), started.writeHandle(), gate.readHandle(),
                                         static_cast<int>(ctx.startMethod())});
        program.start();
        const std::vector<pid_t> pids = parsePids(receiveText(report.read.get(), 20.0));
        QCOMPARE(pids.size(), std::size_t{2});
        QVERIFY(readStartedPid(started.read.get(), 20.0) > 0); // map is under way
        const auto sent = std::chrono::steady_clock::now();
        QCOMPARE(::kill(*program.pid(), SIGINT), 0);
        QCOMPARE(receiveText(report.read.get(), 10.0), std::string("interrupted"));
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
        QVERIFY2(seconds < 5.0, qPrintable(QString("took %1 s").arg(seconds)));
        program.join(10.0);
        QCOMPARE(program.exitCode(), std::optional<int>(0));
        for (pid_t pid : pids) {
            QVERIFY2(processGone(pid), qPrintable(QString("worker %1 survived Ctrl-C").arg(pid)));
        }
    }
};

FORKSCOPE_TEST_MAIN(TestPoolFailures)
#include "tst_pool_failures.moc"
