// What differs between fork, spawn and forkserver: serialisation of targets and arguments,
// globals, the entry guard, parent death, and the forkserver's defences.
#include "engine_test.h"
#include "process/auth_handshake.h"
#include "process/bootstrap.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/forkserver.h"
#include "process/runtime.h"
#include "process_test_support.h"
#include "test_main.h"

#include <QProcess>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

int g_setting = 1; // "a global variable": initial value 1, the parent changes it before start

void reportGlobal(TaskArgs& args) {
    sendText(args.get<FdHandle>(0).fd(), std::to_string(g_setting));
}
FORKSCOPE_TASK(reportGlobal);

void reportArgument(TaskArgs& args) {
    sendText(args.get<FdHandle>(0).fd(), std::to_string(args.get<int>(1)));
}
FORKSCOPE_TASK(reportArgument);

void returnNormally(TaskArgs&) {}
FORKSCOPE_TASK(returnNormally);

void notRegistered(TaskArgs&) {}

void waitForGate(TaskArgs& args) {
    sendByte(args.get<FdHandle>(0).fd());
    awaitByte(args.get<FdHandle>(1).fd());
}
FORKSCOPE_TASK(waitForGate);

/// Starts a grandchild with the given method, reports its pid, then waits to be killed.
void startGrandchildThenWait(TaskArgs& args) {
    const int report = args.get<FdHandle>(0).fd();
    const FdHandle gate = args.get<FdHandle>(1);
    auto method = static_cast<StartMethod>(args.get<int>(2));
    TestPipe ready;
    Process grandchild(getContext(method), &waitForGate, {ready.writeHandle(), gate});
    grandchild.start();
    awaitByte(ready.read.get());
    sendText(report, std::to_string(*grandchild.pid()));
    awaitByte(gate.fd());
}
FORKSCOPE_TASK(startGrandchildThenWait);

/// A child (of any method) that starts and joins a child of its own: allowed once bootstrapped.
void startOwnChild(TaskArgs& args) {
    Process child(getContext(static_cast<StartMethod>(args.get<int>(0))), &returnNormally);
    child.start();
    child.join(20.0);
    exitProcess(child.exitCode() == 0 ? 0 : 9);
}
FORKSCOPE_TASK(startOwnChild);

/// In a fresh (spawned) image: starts this image's own forkserver, reports its socket path and
/// pid, then waits to be killed.
void reportOwnForkserver(TaskArgs& args) {
    Process child(getContext(StartMethod::Forkserver), &returnNormally);
    child.start();
    child.join(20.0);
    sendText(args.get<FdHandle>(0).fd(),
             Forkserver::instance().address() + "|" + std::to_string(Forkserver::instance().serverPid()));
    awaitByte(args.get<FdHandle>(1).fd());
}
FORKSCOPE_TASK(reportOwnForkserver);

struct NoSerialize {
    int value = 0;
};

std::string errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

bool isForkRow() {
    return rowContext().startMethod() == StartMethod::Fork;
}

struct ProgramRun {
    int exitCode = -1;
    QString out;
    QString err;
};

/// Runs forkscope-unguarded (app/cli/unguarded_program.cpp) with the given start method, the entry guard
/// first or not.
ProgramRun runUnguardedMain(const QString& method, bool guardFirst) {
    QProcess program;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("FORKSCOPE_UNGUARDED_GUARD");
    if (guardFirst) {
        env.insert("FORKSCOPE_UNGUARDED_GUARD", "1");
    }
    env.insert("FORKSCOPE_UNGUARDED_METHOD", method);
    program.setProcessEnvironment(env);
    program.start(QStringLiteral(FORKSCOPE_UNGUARDED_MAIN), {});
    ProgramRun run;
    if (!program.waitForFinished(30000)) {
        program.kill();
        program.waitForFinished(5000);
        return run;
    }
    run.exitCode = program.exitCode();
    run.out = QString::fromLocal8Bit(program.readAllStandardOutput());
    run.err = QString::fromLocal8Bit(program.readAllStandardError());
    return run;
}

} // namespace

class TestStartMethods : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        Process warm(getContext(StartMethod::Forkserver), &returnNormally);
        warm.start();
        warm.join(10.0);
    }

    void closureTarget_data() { addStartMethodRows(); }
    void closureTarget() {
        TestPipe report;
        const int secret = 1234;
        const int fd = report.write.get();
        Process p = rowContext().process([secret, fd](TaskArgs&) { sendText(fd, std::to_string(secret)); });
        if (isForkRow()) {
            p.start();
            QCOMPARE(QString::fromStdString(receiveText(report.read.get())), QStringLiteral("1234"));
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
            return;
        }
        const auto children = childPids();
        const std::string error = errorOf([&] { p.start(); });
        QVERIFY2(error.find("closure") != std::string::npos, error.c_str());
        QVERIFY2(error.find("FORKSCOPE_TASK") != std::string::npos, error.c_str());
        QVERIFY_THROWS_EXCEPTION(SerializationError, p.start());
        QVERIFY(childPids() == children); // nothing was started
        QVERIFY(!p.pid().has_value());
    }

    void unregisteredFunction_data() { addStartMethodRows(); }
    void unregisteredFunction() {
        Process p = rowContext().process(&notRegistered);
        if (isForkRow()) {
            p.start();
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
            return;
        }
        const std::string error = errorOf([&] { p.start(); });
        QVERIFY2(error.find("not registered") != std::string::npos, error.c_str());
    }

    void unserialisableArgument_data() { addStartMethodRows(); }
    void unserialisableArgument() {
        std::mutex mutex;
        TestPipe report;
        Process p = rowContext().process(&reportArgument,
                                         {report.writeHandle(), 7, named("lock", &mutex), NoSerialize{3}});
        if (isForkRow()) {
            p.start(); // under fork the child inherits memory: any argument works
            QCOMPARE(QString::fromStdString(receiveText(report.read.get())), QStringLiteral("7"));
            p.join(10.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
            return;
        }
        const std::string error = errorOf([&] { p.start(); });
        QVERIFY2(error.find("argument 2 ('lock')") != std::string::npos, error.c_str());
        QVERIFY2(error.find("std::mutex*") != std::string::npos, error.c_str());
        QVERIFY2(error.find("raw pointer") != std::string::npos, error.c_str());

        Process q = rowContext().process(&reportArgument, {report.writeHandle(), NoSerialize{3}});
        const std::string second = errorOf([&] { q.start(); });
        QVERIFY2(second.find("argument 1") != std::string::npos, second.c_str());
        QVERIFY2(second.find("NoSerialize") != std::string::npos, second.c_str());
        QVERIFY2(second.find("cereal") != std::string::npos, second.c_str());
    }

    void argumentsTravel_data() { addStartMethodRows(); }
    void argumentsTravel() {
        TestPipe report;
        Process p = rowContext().process(&reportArgument, {report.writeHandle(), named("value", 4242)});
        p.start();
        QCOMPARE(QString::fromStdString(receiveText(report.read.get())), QStringLiteral("4242"));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
    }

    void damagedBootstrapIsRefused() {
        // What a fresh image decodes first: a damaged one is a SerializationError that says
        // so, never a crash or an allocation sized by garbage.
        Bootstrap sent;
        sent.taskName = "reportArgument";
        sent.args.push_back(Arg(named("value", 4242)).serialize(0, "spawn"));
        const std::vector<std::uint8_t> bytes = sent.encode();
        const Bootstrap received = Bootstrap::decode(bytes);
        QCOMPARE(received.taskName, sent.taskName);
        QCOMPARE(received.args.size(), std::size_t{1});
        QCOMPARE(received.args[0].name, std::string("value"));
        QVERIFY(received.args[0].blob == sent.args[0].blob);
        QCOMPARE(TaskArgs::fromSerialized(received.args, {}).get<int>(0), 4242);

        for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
            const std::string why = errorOf([&] { (void)Bootstrap::decode(std::span(bytes).first(cut)); });
            QVERIFY2(why.find("damaged bootstrap message") != std::string::npos, why.c_str());
        }
        // The argument count is where the encodings with none and with one argument part:
        // claiming 2^40 arguments there is refused before a vector is sized for them.
        Bootstrap none = sent;
        none.args.clear();
        std::vector<std::uint8_t> absurd = none.encode();
        const auto split = static_cast<std::size_t>(
            std::mismatch(absurd.begin(), absurd.end(), bytes.begin()).first - absurd.begin());
        const std::uint64_t count = std::uint64_t{1} << 40;
        QVERIFY(split + sizeof count <= absurd.size());
        std::memcpy(absurd.data() + split, &count, sizeof count);
        const std::string why = errorOf([&] { (void)Bootstrap::decode(absurd); });
        QVERIFY2(why.find("damaged bootstrap message") != std::string::npos &&
                     why.find("declares 1099511627776 elements") != std::string::npos,
                 why.c_str());
    }

    void globalsUnderEachMethod_data() { addStartMethodRows(); }
    void globalsUnderEachMethod() {
        TestPipe report;
        g_setting = 42; // changed in the parent before start
        Process p = rowContext().process(&reportGlobal, {report.writeHandle()});
        p.start();
        const QString seen = QString::fromStdString(receiveText(report.read.get()));
        p.join(10.0);
        g_setting = 1;
        // fork copies the parent's memory; spawn and forkserver start from a fresh image.
        QCOMPARE(seen, isForkRow() ? QStringLiteral("42") : QStringLiteral("1"));
    }

    void childMayStartChildrenAfterBootstrap_data() { addStartMethodRows(); }
    void childMayStartChildrenAfterBootstrap() {
        for (StartMethod inner : {StartMethod::Fork, StartMethod::Spawn}) {
            Process p = rowContext().process(&startOwnChild, {static_cast<int>(inner)});
            p.start();
            p.join(30.0);
            QCOMPARE(p.exitCode(), std::optional<int>(0));
        }
    }

    void unguardedMainGetsBootstrapError_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("unguardedExit"); // 10: the spawn child failed; 4: no forkserver
        QTest::addColumn<QString>("requesterSays");
        QTest::newRow("spawn") << "spawn" << 10 << "the child exited with code 3";
        // The forkserver image re-runs the unguarded main() too: it fails to bootstrap, and the
        // requester gets an error that names the cause instead of hanging.
        QTest::newRow("forkserver") << "forkserver" << 4 << "freezeSupport(argc, argv) before anything else";
    }
    void unguardedMainGetsBootstrapError() {
        QFETCH(QString, method);
        QFETCH(int, unguardedExit);
        QFETCH(QString, requesterSays);
        const ProgramRun unguarded = runUnguardedMain(method, false);
        QVERIFY2(unguarded.err.contains("bootstrapping phase"), qPrintable(unguarded.err));
        QVERIFY2(unguarded.err.contains("freezeSupport"), qPrintable(unguarded.err));
        QVERIFY2(unguarded.err.contains(requesterSays), qPrintable(unguarded.err));
        QCOMPARE(unguarded.exitCode, unguardedExit);

        const ProgramRun guarded = runUnguardedMain(method, true);
        QCOMPARE(guarded.exitCode, 0);
        QVERIFY2(guarded.out.contains("the child ran"), qPrintable(guarded.out));
    }

    void parentDeathKillsChildren_data() { addStartMethodRows(); }
    void parentDeathKillsChildren() {
        TestPipe report;
        TestPipe gate; // never written: only death ends these processes
        Process middle(
            getContext(StartMethod::Fork), &startGrandchildThenWait,
            {report.writeHandle(), gate.readHandle(), static_cast<int>(rowContext().startMethod())});
        middle.start();
        const pid_t grandchild = std::stoi(receiveText(report.read.get()));
        middle.kill();
        middle.join(10.0);
        QCOMPARE(middle.exitCode(), std::optional<int>(-SIGKILL));
        QVERIFY2(waitForExit(grandchild, 10.0), "the grandchild outlived its parent");
        reap(grandchild, 1.0); // re-parented to us (the subreaper) for fork and spawn
    }

    void forkserverSocketIsPrivate() {
        const std::string address = Forkserver::instance().address();
        QVERIFY2(!address.empty() && address.front() == '/',
                 "must be a file socket, not the abstract namespace");
        struct stat dir {};
        QCOMPARE(::stat(std::filesystem::path(address).parent_path().c_str(), &dir), 0);
        QCOMPARE(dir.st_mode & 0777, 0700u);
        QCOMPARE(dir.st_uid, ::getuid());
        struct stat sock {};
        QCOMPARE(::stat(address.c_str(), &sock), 0);
        QVERIFY(S_ISSOCK(sock.st_mode));
        QCOMPARE(sock.st_mode & 0077, 0u);
    }

    void forkserverRefusesOtherUsers() {
        if (::getuid() != 0) {
            QSKIP("needs root to become another user");
        }
        const std::string address = Forkserver::instance().address();
        Process intruder(getContext(StartMethod::Fork), [address](TaskArgs&) {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
                exitProcess(20);
            }
            try {
                (void)Forkserver::connect(address, auth::randomBytes(32));
            } catch (const OsError& e) {
                exitProcess(e.code() == EACCES ? 0 : 21); // the 0700 directory stops it at the door
            } catch (const std::exception&) {
                exitProcess(22);
            }
            exitProcess(23);
        });
        intruder.start();
        intruder.join(10.0);
        QCOMPARE(intruder.exitCode(), std::optional<int>(0));
    }

    void forkserverRefusesWrongKeyAndKeepsServing() {
        const std::string address = Forkserver::instance().address();
        const pid_t server = Forkserver::instance().serverPid();
        QVERIFY_THROWS_EXCEPTION(AuthenticationError,
                                 (void)Forkserver::connect(address, auth::randomBytes(32)));

        // Garbage instead of a handshake: refused without being deserialised.
        UniqueFd raw(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, address.c_str(), sizeof addr.sun_path - 1);
        QCOMPARE(::connect(raw.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        const char junk[] = "\xff\xff\xff\x7fGET / HTTP/1.0\r\n\r\n";
        QVERIFY(::send(raw.get(), junk, sizeof junk, MSG_NOSIGNAL) > 0);
        raw.reset();

        Process p(getContext(StartMethod::Forkserver), &returnNormally);
        p.start();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QCOMPARE(Forkserver::instance().serverPid(), server); // the same server kept serving
    }

    void forkserverCleansUpWhenItsProgramIsKilled() {
        // A program killed with SIGKILL cannot stop its forkserver; the server's parent-death
        // signal is one it handles, so it still removes its socket and private directory.
        TestPipe report;
        TestPipe gate; // never written: only the kill ends the program
        Process program(getContext(StartMethod::Spawn), &reportOwnForkserver,
                        {report.writeHandle(), gate.readHandle()});
        program.start();
        const std::string seen = receiveText(report.read.get(), 20.0);
        const auto bar = seen.find('|');
        QVERIFY2(bar != std::string::npos, seen.c_str());
        const std::filesystem::path socket = seen.substr(0, bar);
        const pid_t server = std::stoi(seen.substr(bar + 1));
        QVERIFY(std::filesystem::exists(socket));
        program.kill();
        program.join(10.0);
        QVERIFY(waitForExit(server, 10.0));
        reap(server, 1.0); // re-parented to us, the subreaper
        QVERIFY2(!std::filesystem::exists(socket.parent_path()), socket.parent_path().c_str());
    }

    void forkserverIsRestartedAfterDeath() {
        const pid_t first = Forkserver::instance().serverPid();
        QCOMPARE(::kill(first, SIGKILL), 0);
        QVERIFY(waitForExit(first, 10.0));
        Process p(getContext(StartMethod::Forkserver), &returnNormally);
        p.start();
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(Forkserver::instance().serverPid() != first);
        rebaseline(); // the new server's pidfd/pipe replace the old ones
    }
};

FORKSCOPE_TEST_MAIN(TestStartMethods)
#include "tst_start_methods.moc"
