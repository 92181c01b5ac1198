// Fault injection on real runs: kill the session host, or a worker, in the middle of a run.
// Survivors must report it, nothing may hang or be left behind (the leak check of EngineTest,
// with this process as the subreaper that inherits any orphan), and the trace written so far
// must stay readable.
#include "cli_runner.h"
#include "engine_test.h"
#include "test_main.h"
#include "trace/trace_reader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <csignal>
#include <filesystem>

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

} // namespace

class TestFaults : public test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void killingTheSessionHostEndsTheWholeRun() {
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
        // Anything that came back to us as an orphan is reaped by the leak check's rules.
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
        QTemporaryDir dir;
        const QString trace = dir.filePath("worker-killed.fstrace");
        QProcess host;
        host.start(QStringLiteral(FORKSCOPE_CLI), {"run", "print-lock", "--set", "lines=30000", "--record",
                                                   trace, "--json", "--timeout", "60"});
        QVERIFY(host.waitForStarted(10000));
        const std::int32_t worker = awaitProcess(trace, "worker-1");
        QVERIFY(worker != 0);
        ::kill(worker, SIGKILL);
        QVERIFY(host.waitForFinished(60000));
        const auto summary = QJsonDocument::fromJson(host.readAllStandardOutput()).object();
        QStringList seen;
        for (const auto& o : summary.value("observations").toArray()) {
            seen << o.toString();
        }
        QVERIFY2(seen.join('\n').contains("worker-1 was ended by signal 9 (SIGKILL)"),
                 qPrintable(seen.join('\n')));
        bool reported = false;
        for (const auto& p : summary.value("processes").toArray()) {
            if (p.toObject().value("name").toString() == "worker-1") {
                reported = p.toObject().value("exitcode").toInt() == -9;
            }
        }
        QVERIFY(reported);
        const auto leaks = summary.value("leaks").toObject();
        for (const char* key : {"processes", "shm_segments", "semaphores", "fds"}) {
            QCOMPARE(leaks.value(key).toInt(-1), 0);
        }
    }
};

FORKSCOPE_TEST_MAIN(TestFaults)
#include "tst_faults.moc"
