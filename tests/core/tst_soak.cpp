// Soak: every built-in scenario twenty times in a row, across variants and start methods, in
// one session-host process. Whatever a run leaks in the host (fds, /dev/shm entries, child
// processes, memory) accumulates here, so a leak of one fd per run cannot hide.
#include "engine_test.h"
#include "process_test_support.h"
#include "scenario/scenario_library.h"
#include "session/run_session.h"
#include "test_main.h"

#include <fstream>

using namespace forkscope;

namespace {

long residentKiB() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

RunSummary runOnce(const Scenario& scenario, int i) {
    RunOptions options;
    options.variant = i % 2 == 0 ? Variant::Hazard : Variant::Fix;
    options.startMethod = static_cast<StartMethod>(i % 3);
    std::map<std::string, std::string> quick;
    if (scenario.parameter("work_ms") != nullptr) {
        quick["work_ms"] = "100"; // zombies: the picture needs seconds, the soak does not
    }
    options.parameters = ScenarioLoader::resolveParameters(scenario, quick);
    options.timeout = std::chrono::seconds(20);
    return RunSession(scenario, options).run();
}

} // namespace

class TestSoak : public test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void everyScenarioTwentyTimes() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        const int repeats = qEnvironmentVariableIsSet("FORKSCOPE_SOAK_REPEATS")
                                ? qEnvironmentVariableIntValue("FORKSCOPE_SOAK_REPEATS")
                                : 20;
        const auto scenarios = ScenarioLibrary::loadAll();
        QVERIFY(!scenarios.empty());
        // One warm-up round: first-use allocations (loaders, thread pools, caches) are not leaks.
        for (const auto& s : scenarios) {
            (void)runOnce(s, 0);
        }
        rebaseline();
        const long rssBefore = residentKiB();
        int runs = 0;
        for (const auto& s : scenarios) {
            for (int i = 0; i < repeats; ++i, ++runs) {
                const RunSummary r = runOnce(s, i);
                const QString where = QString::fromStdString(s.id + " run " + std::to_string(i) + " (" +
                                                             r.variant + ", " + r.startMethod + ")");
                QVERIFY2(r.expectedOutcome && *r.expectedOutcome == r.outcome,
                         qPrintable(where + ": " + QString::fromStdString(r.toJson().dump())));
                QVERIFY2(
                    r.leaks.processes == 0 && r.leaks.shmSegments == 0 && r.leaks.semaphores == 0 &&
                        r.leaks.fds == 0,
                    qPrintable(where + " leaked: " + QString::fromStdString(r.toJson()["leaks"].dump())));
            }
        }
        const long growth = residentKiB() - rssBefore;
        qInfo("%d runs; resident memory grew by %ld KiB", runs, growth);
#if defined(__SANITIZE_ADDRESS__)
        // Under ASan the resident size measures its quarantine of freed blocks (up to 256 MiB by
        // design), not leaks; LeakSanitizer checks every allocation at exit instead.
        qInfo("AddressSanitizer build: memory growth is left to LeakSanitizer");
#else
        // A few MiB of allocator slack is normal; a per-run leak of even 64 KiB would exceed it.
        QVERIFY2(growth < 16 * 1024, qPrintable(QString("resident memory grew by %1 KiB").arg(growth)));
#endif
    }
};

FORKSCOPE_TEST_MAIN(TestSoak)
#include "tst_soak.moc"
