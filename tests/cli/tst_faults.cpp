// Fault injection on real runs: kill the session host, a worker, the forkserver or a manager's
// server in the middle of a run.
// Survivors must report it, nothing may hang or be left behind (the leak check of EngineTest,
// with this process as the subreaper that inherits any orphan), and the trace written so far
// must stay readable.
#include "cli_runner.h"
#include "engine_test.h"
#include "process/proc_stat.h"
#include "process_test_support.h"
#include "session/process_sweeper.h"
#include "test_main.h"
#include "trace/trace_reader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <csignal>
#include <filesystem>
#include <sys/wait.h>

using namespace forkscope;

namespace {

/// The processes the recording knows so far, by name (the trace is readable while written).
std::map<std::string, std::int32_t> recordedProcesses(const QString& trace) {
    std::map<std::string, std::int32_t> byName;
    std::error_code ec;
    if (!std::filesystem::exists(trace.toStdString(), ec)) {
        return byName;
    }
    try {
        TraceReader reader(trace.toStdString());
        for (const auto& p : reader.processes()) {
            byName[p.name] = p.pid;
        }
    } catch (const std::exception&) {
        // Not created completely yet: the next poll sees it.
    }
    return byName;
}

/// Polls the growing recording (bounded) until `name` appears; its pid, or 0.
std::int32_t awaitProcess(const QString& trace, const std::string& name) {
    std::int32_t pid = 0;
    (void)QTest::qWaitFor(
        [&] {
            const auto known = recordedProcesses(trace);
            auto it = known.find(name);
            pid = it == known.end() ? 0 : it->second;
            return pid != 0;
        },
        15000);
    return pid;
}

/// A live child of `parent` with the helper `role` — or, without a role, the one that leads a
/// process group of its own (the session host's main) — once one exists; or 0.
/// Found from /proc, not from the recording: a run that floods its trace may write it late.
pid_t awaitChild(pid_t parent, HelperRole role = HelperRole::Unknown) {
    pid_t found = 0;
    (void)QTest::qWaitFor(
        [&] {
            for (const pid_t pid : ProcessSweeper::processes()) {
                const auto stat = ProcStat::read(pid);
                if (stat && stat->ppid == parent && !stat->isZombie() &&
                    (role == HelperRole::Unknown ? stat->pgrp == pid
                                                 : ProcessSweeper::helperRole(pid) == role)) {
                    found = pid;
                    return true;
                }
            }
            return false;
        },
        15000);
    return found;
}

/// Waits until the growing recording holds more than `events` events (bounded).
bool awaitEvents(const QString& trace, std::uint64_t events) {
    return QTest::qWaitFor(
        [&] {
            try {
                TraceReader reader(trace.toStdString());
                return reader.lastSeq() > events;
            } catch (const std::exception&) {
                return false;
            }
        },
        15000);
}

/// The --json summary of a finished `run`.
QJsonObject summaryOf(QProcess& host) {
    if (!host.waitForFinished(60000)) {
        host.kill();
        host.waitForFinished(5000);
        return {};
    }
    return QJsonDocument::fromJson(host.readAllStandardOutput()).object();
}

QString observationsOf(const QJsonObject& summary) {
    QStringList seen;
    for (const auto& o : summary.value("observations").toArray()) {
        seen << o.toString();
    }
    return seen.join('\n');
}

std::optional<int> exitCodeOf(const QJsonObject& summary, const QString& process) {
    for (const auto& p : summary.value("processes").toArray()) {
        if (p.toObject().value("name").toString() == process) {
            return p.toObject().value("exitcode").toInt();
        }
    }
    return std::nullopt;
}

void verifyNothingLeaked(const QJsonObject& summary) {
    const auto leaks = summary.value("leaks").toObject();
    for (const char* key : {"processes", "shm_segments", "semaphores", "fds"}) {
        QCOMPARE(leaks.value(key).toInt(-1), 0);
    }
}

} // namespace

class TestFaults : public test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void killingTheSessionHostEndsTheWholeRun() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QTemporaryDir dir;
        const QString trace = dir.filePath("host-killed.fstrace");
        QProcess host;
        host.start(QStringLiteral(FORKSCOPE_CLI), {"run", "zombies", "--start-method", "forkserver", "--set",
                                                   "work_ms=10000", "--record", trace, "--timeout", "30"});
        QVERIFY(host.waitForStarted(10000));
        const std::int32_t worker = awaitProcess(trace, "worker-3");
        const std::int32_t main = awaitProcess(trace, "main");
        QVERIFY2(worker != 0 && main != 0, "the run did not get going");
        ::kill(static_cast<pid_t>(host.processId()), SIGKILL);
        QVERIFY(host.waitForFinished(5000));
        // main dies with its parent (parent-death signal), its children with main, and the
        // forkserver cleans its socket directory on its own parent-death signal.
        QVERIFY2(test::waitForExit(main, 5.0), "main outlived the session host");
        for (const auto& [name, pid] : recordedProcesses(trace)) {
            if (pid != static_cast<std::int32_t>(host.processId())) {
                QVERIFY2(test::waitForExit(pid, 5.0), name.c_str());
            }
        }
        // Every process of the run was in main's process group; the helpers (the forkserver) end
        // on their own parent-death signal, and under ASan LeakSanitizer's check makes that exit
        // slow. Wait for the last of them, reaping whatever comes back to us as an orphan.
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         for (pid_t child : test::childPids()) {
                             (void)::waitpid(child, nullptr, WNOHANG);
                         }
                         return ProcessSweeper::groupMembers(main).empty();
                     },
                     10000),
                 "a process of the run outlived it");
        for (pid_t child : test::childPids()) {
            QVERIFY(test::reap(child, 5.0));
        }
        // What was recorded before the kill is still a readable trace (unfinished).
        TraceReader reader(trace.toStdString());
        QVERIFY(!reader.finished());
        QVERIFY(reader.lastSeq() > 0);
        QVERIFY(reader.processes().size() >= 5);
    }

    void aKilledWorkerIsReportedAndTheRunEnds() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QTemporaryDir dir;
        const QString trace = dir.filePath("worker-killed.fstrace");
        QProcess host;
        host.start(QStringLiteral(FORKSCOPE_CLI), {"run", "print-lock", "--set", "lines=30000", "--record",
                                                   trace, "--json", "--timeout", "60"});
        QVERIFY(host.waitForStarted(10000));
        const std::int32_t worker = awaitProcess(trace, "worker-1");
        QVERIFY(worker != 0);
        ::kill(worker, SIGKILL);
        const QJsonObject summary = summaryOf(host);
        QVERIFY2(!summary.isEmpty(), "the run did not end");
        QVERIFY2(observationsOf(summary).contains("worker-1 was ended by signal 9 (SIGKILL)"),
                 qPrintable(observationsOf(summary)));
        QCOMPARE(exitCodeOf(summary, "worker-1"), std::optional<int>(-9));
        verifyNothingLeaked(summary);
    }

    void aKilledForkserverIsReportedAndTheRunEnds() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QTemporaryDir dir;
        const QString trace = dir.filePath("forkserver-killed.fstrace");
        const auto before = ProcessSweeper::footprint();
        QProcess host;
        host.start(QStringLiteral(FORKSCOPE_CLI),
                   {"run", "print-lock", "--start-method", "forkserver", "--set", "lines=30000", "--record",
                    trace, "--json", "--timeout", "60"});
        QVERIFY(host.waitForStarted(10000));
        const pid_t main = awaitChild(static_cast<pid_t>(host.processId()));
        const pid_t server = awaitChild(main, HelperRole::Forkserver);
        QVERIFY2(server != 0, "no forkserver in the run's process group");
        // Every worker was forked by the server and is printing: the server dies under them.
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         int children = 0;
                         for (pid_t pid : ProcessSweeper::groupMembers(main)) {
                             const auto stat = ProcStat::read(pid);
                             children += stat && stat->ppid == server && !stat->isZombie() ? 1 : 0;
                         }
                         return children == 4;
                     },
                     15000),
                 "the forkserver did not fork the four workers");
        QCOMPARE(::kill(server, SIGKILL), 0);
        const QJsonObject summary = summaryOf(host);
        QVERIFY2(!summary.isEmpty(), "the run did not end");
        const QString seen = observationsOf(summary);
        QVERIFY2(seen.contains(
                     QStringLiteral("the forkserver (pid %1) was ended by signal 9 (SIGKILL) during the run")
                         .arg(server)),
                 qPrintable(seen));
        // Its children ended with it; their joins got Python's "status lost" code.
        QCOMPARE(exitCodeOf(summary, "worker-0"), std::optional<int>(255));
        verifyNothingLeaked(summary);
        // Its socket directory went with it (main removes it when it reaps the server).
        QCOMPARE(ProcessSweeper::footprint().runtimeDirs, before.runtimeDirs);
        TraceReader reader(trace.toStdString());
        QVERIFY(reader.finished());
    }

    void aKilledManagerServerIsReportedAndTheRunEnds() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QTemporaryDir dir;
        const QString trace = dir.filePath("manager-killed.fstrace");
        const auto before = ProcessSweeper::footprint();
        QProcess host;
        host.start(QStringLiteral(FORKSCOPE_CLI), {"run", "proxy-threads", "--fix", "--set", "calls=100000",
                                                   "--record", trace, "--json", "--timeout", "60"});
        QVERIFY(host.waitForStarted(10000));
        const pid_t main = awaitChild(static_cast<pid_t>(host.processId()));
        const pid_t server = awaitChild(main, HelperRole::ManagerServer);
        QVERIFY2(server != 0, "no manager server in the run's process group");
        QVERIFY2(awaitEvents(trace, 500), "the proxy calls did not get going");
        QCOMPARE(::kill(server, SIGKILL), 0);
        const QJsonObject summary = summaryOf(host);
        QVERIFY2(!summary.isEmpty(), "the run did not end");
        // The caller sees its calls fail, and the summary says why.
        QCOMPARE(summary.value("outcome").toString(), QStringLiteral("error"));
        QVERIFY2(summary.value("error").toString().contains("manager"),
                 qPrintable(summary.value("error").toString()));
        const QString seen = observationsOf(summary);
        QVERIFY2(
            seen.contains(
                QStringLiteral("the manager's server (pid %1) was ended by signal 9 (SIGKILL) during the run")
                    .arg(server)),
            qPrintable(seen));
        verifyNothingLeaked(summary);
        QCOMPARE(ProcessSweeper::footprint().runtimeDirs, before.runtimeDirs);
        TraceReader reader(trace.toStdString());
        QVERIFY(reader.finished());
    }
};

FORKSCOPE_TEST_MAIN(TestFaults)
#include "tst_faults.moc"
