// Process semantics (Python's multiprocessing.Process) under each start method.
#include "engine_test.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process/proc_stat.h"
#include "process/runtime.h"
#include "process_test_support.h"
#include "session/process_sweeper.h"
#include "test_main.h"

#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

void returnNormally(TaskArgs&) {}
FORKSCOPE_TASK(returnNormally);

void exitWith(TaskArgs& args) {
    exitProcess(args.get<int>(0));
}
FORKSCOPE_TASK(exitWith);

void underscoreExit(TaskArgs& args) {
    ::_exit(args.get<int>(0));
}
FORKSCOPE_TASK(underscoreExit);

void throwError(TaskArgs&) {
    throw std::runtime_error("boom from the task");
}
FORKSCOPE_TASK(throwError);

/// Says "ready" on arg 0, then waits for a byte (or EOF) on arg 1.
void readyThenWait(TaskArgs& args) {
    sendByte(args.get<FdHandle>(0).fd());
    awaitByte(args.get<FdHandle>(1).fd());
}
FORKSCOPE_TASK(readyThenWait);

/// Reports the child's own name and pid as the child sees them.
void reportIdentity(TaskArgs& args) {
    Process me = currentProcess();
    sendText(args.get<FdHandle>(0).fd(), me.name() + "|" + std::to_string(*me.pid()));
}
FORKSCOPE_TASK(reportIdentity);

/// Exit 5 if joining itself is refused with a clear error.
void joinSelf(TaskArgs&) {
    try {
        currentProcess().join(1.0);
    } catch (const ProcessError& e) {
        exitProcess(std::string(e.what()).find("current process") != std::string::npos ? 5 : 6);
    }
}
FORKSCOPE_TASK(joinSelf);

/// In a daemonic child: exit 7 if starting a grandchild is refused.
void daemonStartsChild(TaskArgs&) {
    try {
        Process(getContext(StartMethod::Fork), &returnNormally).start();
    } catch (const ProcessError& e) {
        exitProcess(std::string(e.what()).find("daemonic") != std::string::npos ? 7 : 8);
    }
}
FORKSCOPE_TASK(daemonStartsChild);

/// Starts a grandchild (daemonic or not, with the given method) that waits on arg 1, reports
/// its pid on arg 0, and returns normally: what happens to the grandchild at our exit is the
/// test.
void startGrandchildAndReturn(TaskArgs& args) {
    const int report = args.get<FdHandle>(0).fd();
    const FdHandle gate = args.get<FdHandle>(1);
    const bool daemon = args.get<bool>(2);
    auto method = static_cast<StartMethod>(args.get<int>(3));
    TestPipe ready;
    Process grandchild(getContext(method), &readyThenWait, {ready.writeHandle(), gate},
                       {.name = "", .daemon = daemon});
    grandchild.start();
    awaitByte(ready.read.get());
    sendText(report, std::to_string(*grandchild.pid()));
}
FORKSCOPE_TASK(startGrandchildAndReturn);

} // namespace

class TestProcess : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        // The forkserver is a long-lived helper of this program; start it before the baseline.
        (void)getContext(StartMethod::Forkserver);
        TestPipe p;
        Process warm(getContext(StartMethod::Forkserver), &returnNormally);
        warm.start();
        warm.join(10.0);
    }

    void exitCodes_data() { addStartMethodRows(); }
    void exitCodes() {
        Context ctx = rowContext();
        auto run = [&](Target target, Args args) -> std::optional<int> {
            Process p = ctx.process(std::move(target), std::move(args));
            if (p.exitCode().has_value()) {
                return -1000; // must be unset before start
            }
            p.start();
            p.join(10.0);
            return p.exitCode();
        };
        QCOMPARE(run(&returnNormally, {}), std::optional<int>(0));
        QCOMPARE(run(&exitWith, {3}), std::optional<int>(3));
        QCOMPARE(run(&underscoreExit, {4}), std::optional<int>(4));
        QCOMPARE(run(&throwError, {}), std::optional<int>(1));
    }

    void terminateAndKill_data() { addStartMethodRows(); }
    void terminateAndKill() {
        Context ctx = rowContext();
        for (int signal : {SIGTERM, SIGKILL}) {
            TestPipe ready;
            TestPipe gate;
            Process p = ctx.process(&readyThenWait, {ready.writeHandle(), gate.readHandle()});
            p.start();
            QCOMPARE(receiveByteOrFail(ready.read.get()), true);
            QVERIFY(p.isAlive());
            QVERIFY(!p.exitCode().has_value());
            signal == SIGTERM ? p.terminate() : p.kill();
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(-signal));
            p.terminate(); // a finished child is left alone, not an error
        }
    }

    void joinTimeout_data() { addStartMethodRows(); }
    void joinTimeout() {
        Context ctx = rowContext();
        TestPipe ready;
        TestPipe gate;
        Process p = ctx.process(&readyThenWait, {ready.writeHandle(), gate.readHandle()});
        p.start();
        QVERIFY(receiveByteOrFail(ready.read.get()));
        p.join(0.05);
        QVERIFY(!p.exitCode().has_value());
        QVERIFY(p.isAlive());
        sendByte(gate.write.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(!p.isAlive());
    }

    void isAliveReapsFinishedChild_data() { addStartMethodRows(); }
    void isAliveReapsFinishedChild() {
        Context ctx = rowContext();
        Process p = ctx.process(&returnNormally);
        p.start();
        const pid_t pid = *p.pid();
        QVERIFY(waitForExit(pid, 10.0) || ctx.startMethod() == StartMethod::Forkserver);
        QVERIFY(fdio::waitFor(p.sentinel(), POLLIN, 10.0));
        if (ctx.startMethod() != StartMethod::Forkserver) {
            QVERIFY(childPids().contains(pid)); // a zombie until someone joins it
        }
        QVERIFY(!p.isAlive());
        QVERIFY(!childPids().contains(pid)); // is_alive() reaped it
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void activeChildrenReapsFinished_data() { addStartMethodRows(); }
    void activeChildrenReapsFinished() {
        Context ctx = rowContext();
        TestPipe ready;
        TestPipe gate;
        Process waiting = ctx.process(&readyThenWait, {ready.writeHandle(), gate.readHandle()});
        Process quick1 = ctx.process(&returnNormally);
        Process quick2 = ctx.process(&exitWith, {2});
        waiting.start();
        quick1.start();
        quick2.start();
        QVERIFY(receiveByteOrFail(ready.read.get()));
        QVERIFY(fdio::waitFor(quick1.sentinel(), POLLIN, 10.0));
        QVERIFY(fdio::waitFor(quick2.sentinel(), POLLIN, 10.0));
        std::vector<Process> alive = activeChildren();
        QCOMPARE(alive.size(), std::size_t(1));
        QVERIFY(alive.front() == waiting);
        QCOMPARE(quick2.exitCode(), std::optional<int>(2));
        if (ctx.startMethod() != StartMethod::Forkserver) {
            QVERIFY(!childPids().contains(*quick1.pid()));
            QVERIFY(!childPids().contains(*quick2.pid()));
        }
        sendByte(gate.write.get());
        waiting.join(10.0);
        QVERIFY(activeChildren().empty());
    }

    void namesFollowPythonIdentity_data() { addStartMethodRows(); }
    void namesFollowPythonIdentity() {
        Context ctx = rowContext();
        TestPipe report;
        Process p = ctx.process(&reportIdentity, {report.writeHandle()});
        QVERIFY(p.name().rfind("Process-", 0) == 0);
        p.start();
        const std::string seen = receiveText(report.read.get());
        QCOMPARE(QString::fromStdString(seen),
                 QString::fromStdString(p.name() + "|" + std::to_string(*p.pid())));
        p.join(10.0);
        Process named = ctx.process(&returnNormally, {}, {.name = "worker-1", .daemon = std::nullopt});
        QCOMPARE(QString::fromStdString(named.name()), QStringLiteral("worker-1"));
        QCOMPARE(QString::fromStdString(currentProcess().name()), QStringLiteral("MainProcess"));
    }

    void misuseIsAClearError_data() { addStartMethodRows(); }
    void misuseIsAClearError() {
        Context ctx = rowContext();
        Process unstarted = ctx.process(&returnNormally);
        QVERIFY_THROWS_EXCEPTION(ProcessError, unstarted.join(1.0));
        QVERIFY(!unstarted.isAlive());
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)unstarted.sentinel());

        TestPipe ready;
        TestPipe gate;
        Process p = ctx.process(&readyThenWait, {ready.writeHandle(), gate.readHandle()});
        p.start();
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.start());
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.setDaemon(true));
        QVERIFY(receiveByteOrFail(ready.read.get()));
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.close()); // still running
        sendByte(gate.write.get());
        p.join(10.0);
        p.close();
        p.close(); // closing twice is harmless
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.join(1.0));
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)p.isAlive());
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)p.exitCode());
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)p.pid());
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.start());
        QVERIFY_THROWS_EXCEPTION(ProcessError, p.terminate());

        QVERIFY_THROWS_EXCEPTION(ProcessError, currentProcess().join(1.0));
        Process selfJoiner = ctx.process(&joinSelf);
        selfJoiner.start();
        selfJoiner.join(10.0);
        QCOMPARE(selfJoiner.exitCode(), std::optional<int>(5));
    }

    void closeMessageSaysWhy() {
        Process p = getContext(StartMethod::Fork).process(&returnNormally);
        p.start();
        p.join(10.0);
        p.close();
        try {
            p.join(1.0);
            QFAIL("join after close must throw");
        } catch (const ProcessError& e) {
            QVERIFY2(std::string(e.what()).find("closed") != std::string::npos, e.what());
        }
    }

    void daemonCannotHaveChildren_data() { addStartMethodRows(); }
    void daemonCannotHaveChildren() {
        Process p = rowContext().process(&daemonStartsChild, {}, {.name = "", .daemon = true});
        QVERIFY(p.daemon());
        p.start();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(7));
    }

    void daemonChildrenAreTerminatedAtExit_data() { addStartMethodRows(); }
    void daemonChildrenAreTerminatedAtExit() {
        // middle (fork) starts a daemonic grandchild with the row's method and returns: the
        // grandchild must be terminated as middle exits.
        TestPipe report;
        TestPipe gate; // never opened: only termination ends the grandchild
        Process middle(
            getContext(StartMethod::Fork), &startGrandchildAndReturn,
            {report.writeHandle(), gate.readHandle(), true, static_cast<int>(rowContext().startMethod())});
        middle.start();
        const pid_t grandchild = std::stoi(receiveText(report.read.get()));
        middle.join(10.0);
        QCOMPARE(middle.exitCode(), std::optional<int>(0));
        QVERIFY(waitForExit(grandchild, 10.0));
        reap(grandchild, 1.0); // it may have been re-parented to us (the subreaper)
    }

    void nonDaemonChildrenAreJoinedAtExit_data() { addStartMethodRows(); }
    void nonDaemonChildrenAreJoinedAtExit() {
        TestPipe report;
        TestPipe gate;
        Process middle(
            getContext(StartMethod::Fork), &startGrandchildAndReturn,
            {report.writeHandle(), gate.readHandle(), false, static_cast<int>(rowContext().startMethod())});
        middle.start();
        const pid_t grandchild = std::stoi(receiveText(report.read.get()));
        middle.join(0.2);
        QVERIFY2(!middle.exitCode().has_value(), "a parent must wait for its non-daemonic children");
        sendByte(gate.write.get());
        middle.join(10.0);
        QCOMPARE(middle.exitCode(), std::optional<int>(0));
        QVERIFY(waitForExit(grandchild, 10.0));
        reap(grandchild, 1.0);
    }

    // The monitor and the session host read how a process is doing, and how a zombie ended,
    // from /proc without reaping it.
    void procStatReadsAZombieWithoutReapingIt() {
        int gate[2];
        QCOMPARE(::pipe(gate), 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(gate[1]);
            char byte = 0;
            (void)::read(gate[0], &byte, 1); // until the parent has looked at it alive
            ::_exit(3);
        }
        ::close(gate[0]);
        const auto alive = forkscope::ProcStat::read(child);
        QVERIFY(alive.has_value());
        QCOMPARE(alive->ppid, ::getpid());
        QCOMPARE(alive->pgrp, ::getpgrp());
        QVERIFY(!alive->isZombie());
        ::close(gate[1]); // EOF: the child exits
        std::optional<forkscope::ProcStat> dead;
        QVERIFY(QTest::qWaitFor(
            [&] {
                dead = forkscope::ProcStat::read(child);
                return dead && dead->isZombie();
            },
            10000));
        QVERIFY(dead->waitStatus.has_value());
        QVERIFY(WIFEXITED(*dead->waitStatus));
        QCOMPARE(WEXITSTATUS(*dead->waitStatus), 3);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, WNOHANG), child); // still ours to reap: nobody else did
        QVERIFY(!forkscope::ProcStat::read(child).has_value());
    }

    // Teardown asks the helpers that clean up after themselves to end (SIGTERM) and kills the
    // rest: a process the forkserver forked carries the server's argv, yet is not the server.
    void sweeperTellsTheForkserverFromItsChildren() {
        TestPipe ready;
        TestPipe gate;
        Process p = getContext(StartMethod::Forkserver)
                        .process(&readyThenWait, {ready.writeHandle(), gate.readHandle()});
        p.start();
        QVERIFY(receiveByteOrFail(ready.read.get()));
        const auto child = forkscope::ProcStat::read(*p.pid());
        QVERIFY(child.has_value());
        QCOMPARE(ProcessSweeper::helperRole(*p.pid()), HelperRole::Unknown);
        QCOMPARE(ProcessSweeper::helperRole(child->ppid), HelperRole::Forkserver);
        QCOMPARE(ProcessSweeper::helperRole(::getpid()), HelperRole::Unknown);
        sendByte(gate.write.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void startMethodDefaultIsSetOnce() {
        // The default was fixed to fork by the first getContext() in this program.
        QVERIFY(getStartMethod() == StartMethod::Fork);
        QVERIFY_THROWS_EXCEPTION(ProcessError, setStartMethod(StartMethod::Spawn));
        setStartMethod(StartMethod::Spawn, true);
        QVERIFY(getContext().startMethod() == StartMethod::Spawn);
        setStartMethod(StartMethod::Fork, true);
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)getContext("threads"));
        QVERIFY(getContext("forkserver").startMethod() == StartMethod::Forkserver);
    }

private:
    static bool receiveByteOrFail(int fd) {
        char byte = 0;
        return fdio::readExact(fd, &byte, 1, 10.0, "ready byte");
    }
};

FORKSCOPE_TEST_MAIN(TestProcess)
#include "tst_process.moc"
