// Scenario building blocks added for the guideline scenarios: the buffered file-like object
// (duplicated on fork, fixed by the pid-keyed cache), nested `repeat` actions in the loader, and
// main-only objects (a pool) that no other process may name.
#include "leak_check.h"
#include "process/context.h"
#include "process_test_support.h"
#include "scenario/buffered_file.h"
#include "scenario/scenario_loader.h"
#include "scenario/scenario_objects.h"
#include "test_main.h"

#include <QtTest/QtTest>
#include <fcntl.h>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

/// Everything readable on `fd` now (the writers have ended).
std::string drain(int fd) {
    (void)::fcntl(fd, F_SETFL, O_NONBLOCK);
    std::string out;
    char chunk[256];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) {
        out.append(chunk, static_cast<std::size_t>(n));
    }
    return out;
}

int count(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

/// A scenario whose main runs `mainActions` and whose worker runs `workerActions`.
std::string scenarioText(const std::string& mainActions, const std::string& workerActions) {
    return R"({"format": 1, "id": "t", "title": "t", "guideline": {"name": "n", "text": "t"},
  "objects": {"q": {"kind": "queue"}, "p": {"kind": "pool", "processes": 1}},
  "processes": {
    "main": {"actions": )" +
           mainActions + R"(},
    "worker": {"actions": )" +
           workerActions + R"(}},
  "expected": {"hazard": {"fork": "completed", "spawn": "completed", "forkserver": "completed"},
               "fix": {"fork": "completed", "spawn": "completed", "forkserver": "completed"}}})";
}

} // namespace

class TestScenarioActions : public QObject {
    Q_OBJECT

    LeakSnapshot before_;

private Q_SLOTS:
    void init() { before_ = LeakSnapshot::take(); }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

    void bufferedFileFlushesOnceInOneProcess() {
        TestPipe out;
        BufferedFile file(false);
        file.write("alpha");
        file.write("beta");
        QCOMPARE(file.close(out.write.get()), std::size_t(11));
        QCOMPARE(file.close(out.write.get()), std::size_t(0)); // nothing left to flush
        out.write.reset();
        QCOMPARE(drain(out.read.get()), std::string("alpha\nbeta\n"));
    }

    void bufferedFileForkChildFlushesTheParentsData_data() {
        QTest::addColumn<bool>("pidKeyed");
        QTest::addColumn<int>("copies");
        QTest::newRow("plain cache: the child flushes main's data again") << false << 2;
        QTest::newRow("pid-keyed cache: the child discards it") << true << 1;
    }
    void bufferedFileForkChildFlushesTheParentsData() {
        QFETCH(bool, pidKeyed);
        QFETCH(int, copies);
        TestPipe out;
        auto file = std::make_shared<BufferedFile>(pidKeyed);
        file->write("order 17");
        const int fd = out.write.get();
        Process child(getContext(StartMethod::Fork), [file, fd](TaskArgs&) { (void)file->close(fd); });
        child.start();
        child.join(10.0);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
        (void)file->close(fd);
        out.write.reset();
        QCOMPARE(count(drain(out.read.get()), "order 17\n"), copies);
    }

    void pidKeyedCacheStillFlushesWhatTheChildWrote() {
        TestPipe out;
        auto file = std::make_shared<BufferedFile>(true);
        file->write("main's line");
        const int fd = out.write.get();
        Process child(getContext(StartMethod::Fork), [file, fd](TaskArgs&) {
            file->write("child's line");
            (void)file->close(fd);
        });
        child.start();
        child.join(10.0);
        out.write.reset();
        QCOMPARE(drain(out.read.get()), std::string("child's line\n"));
    }

    void repeatLoadsNestedActions() {
        const Scenario s = ScenarioLoader::loadText(scenarioText(R"([{"do": "repeat", "times": 3, "actions": [
                              {"do": "put", "object": "q", "bytes": 8},
                              {"do": "repeat", "times": 2, "actions": [{"do": "get", "object": "q"}]}]}])",
                                                                 "[]"),
                                                    "nested.json");
        const Action& repeat = s.process("main")->actions.at(0);
        QCOMPARE(QString::fromStdString(repeat.verb), QStringLiteral("repeat"));
        QCOMPARE(repeat.actions.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(repeat.actions[1].actions.at(0).verb), QStringLiteral("get"));
        QVERIFY(!repeat.fields.contains("actions")); // parsed once, into the tree
        QCOMPARE(repeat.actions[0].line, 5);
        // The queue a nested action names is passed to the process that runs it.
        const auto names = ScenarioObjects::referencedBy(s, {}, s.process("main")->actions);
        QCOMPARE(names, std::vector<std::string>{"q"});
    }

    void badNestedActionNamesItsPath() {
        try {
            (void)ScenarioLoader::loadText(
                scenarioText(R"([{"do": "repeat", "times": 2, "actions": [{"do": "putt"}]}])", "[]"),
                "bad.json");
            QFAIL("a nested unknown verb was accepted");
        } catch (const ScenarioError& e) {
            QCOMPARE(QString::fromStdString(e.field()),
                     QStringLiteral("/processes/main/actions/0/actions/0/do"));
            QVERIFY2(QString(e.what()).contains("unknown action 'putt'"), e.what());
        }
    }

    void mainOnlyObjectIsRefusedInAChild() {
        try {
            (void)ScenarioLoader::loadText(
                scenarioText(
                    R"([{"do": "pool-map", "object": "p", "tasks": 2}])",
                    R"([{"do": "repeat", "times": 1, "actions": [{"do": "pool-map", "object": "p", "tasks": 2}]}])"),
                "pool.json");
            QFAIL("a worker using main's pool was accepted");
        } catch (const ScenarioError& e) {
            QCOMPARE(QString::fromStdString(e.field()),
                     QStringLiteral("/processes/worker/actions/0/actions/0/object"));
            QVERIFY2(QString(e.what()).contains("only main may use"), e.what());
        }
        // Main may use it, and it is never among the objects passed to a child.
        const Scenario s = ScenarioLoader::loadText(
            scenarioText(R"([{"do": "pool-map", "object": "p", "tasks": 2}])", "[]"), "pool.json");
        QVERIFY(ScenarioObjects::referencedBy(s, {}, s.process("main")->actions).empty());
    }
};

FORKSCOPE_TEST_MAIN(TestScenarioActions)
#include "tst_scenario_actions.moc"
