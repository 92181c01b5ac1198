// The scenario library as a whole: every built-in scenario, in each variant, under each start
// method, run for real by forkscope-cli. Each run must end with the outcome the scenario
// expects (what CPython does), diagnose what hangs, show the hazard in its observations, and
// leave nothing behind: the leak check of EngineTest runs after every row, and this process
// is a subreaper, so an orphan of the run would come back here and be caught.
#include "cli_runner.h"
#include "engine_test.h"
#include "process_test_support.h"
#include "test_main.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

using forkscope::test::runCli;

namespace {

const QStringList kBuiltIns = {
    "queue-join-deadlock", "zombies",           "terminate-holding-lock",    "unpicklable-argument",
    "globals-under-spawn", "unguarded-main",    "pass-resources-explicitly", "stdin-file-like",
    "shared-state",        "proxy-threads",     "pipe-two-writers",          "fork-with-threads",
    "print-lock",          "pool-worker-death", "producer-consumer",         "lock-contention",
    "start-method-race"};

QJsonObject listed() {
    const auto r = runCli({"list", "--json"});
    const auto doc = QJsonDocument::fromJson(r.out.toUtf8());
    QJsonObject byId;
    for (const auto& s : doc.object().value("scenarios").toArray()) {
        byId.insert(s.toObject().value("id").toString(), s);
    }
    return byId;
}

QString observations(const QJsonObject& summary) {
    QStringList lines;
    for (const auto& o : summary.value("observations").toArray()) {
        lines << o.toString();
    }
    return lines.join('\n');
}

int garbledLines(const QString& text) {
    const auto match = QRegularExpression(R"((\d+) garbled)").match(text);
    return match.hasMatch() ? match.captured(1).toInt() : -1;
}

/// What each hazard must visibly do, beyond its outcome. A row not listed here is checked
/// for its outcome, diagnosis and leaks only.
void checkHazardShows(const QString& id, const QString& variant, const QString& method,
                      const QJsonObject& s) {
    const QString seen = observations(s);
    const QJsonObject diagnosis = s.value("diagnosis").toObject();
    const bool hazard = variant == "hazard";
    if (id == "queue-join-deadlock" && hazard) {
        QCOMPARE(diagnosis.value("kind").toString(), QString("deadlock"));
        QCOMPARE(diagnosis.value("guideline").toString(), QString("Joining processes that use queues"));
        QVERIFY2(diagnosis.value("chain").toArray().size() >= 3,
                 qPrintable(QJsonDocument(diagnosis).toJson()));
        QVERIFY(s.value("metrics").toObject().value("pipe_fill_max_bytes").toInteger() > 0);
    } else if (id == "terminate-holding-lock") {
        if (hazard) {
            QCOMPARE(diagnosis.value("kind").toString(), QString("abandoned-lock"));
            QCOMPARE(diagnosis.value("guideline").toString(), QString("Avoid terminating processes"));
        } else {
            QVERIFY2(seen.contains("recovered lock"), qPrintable(seen));
        }
    } else if (id == "fork-with-threads" && hazard && method == "fork") {
        QCOMPARE(diagnosis.value("kind").toString(), QString("fork-copied-mutex"));
    } else if (id == "globals-under-spawn") {
        const bool inherited = !hazard || method == "fork";
        QVERIFY2(seen.contains(inherited ? "limit = 42" : "limit = 0"), qPrintable(seen));
        QVERIFY2(!seen.contains(inherited ? "limit = 0" : "limit = 42"), qPrintable(seen));
    } else if (id == "unpicklable-argument" && hazard && method != "fork") {
        QVERIFY2(s.value("error").toString().contains("callback"), qPrintable(s.value("error").toString()));
    } else if (id == "shared-state") {
        QCOMPARE(seen.contains("updates lost"), hazard);
    } else if (id == "print-lock") {
        QVERIFY2(hazard ? garbledLines(seen) > 0 : garbledLines(seen) == 0, qPrintable(seen));
    } else if (id == "pass-resources-explicitly") {
        const bool broken = hazard && method != "fork";
        QVERIFY2(broken ? garbledLines(seen) > 0 : garbledLines(seen) == 0, qPrintable(seen));
    } else if (id == "zombies") {
        double longest = 0;
        for (const auto& p : s.value("processes").toArray()) {
            longest = std::max(longest, p.toObject().value("zombie_ms").toDouble());
        }
        QVERIFY2(hazard ? longest > 500 : longest < 500, qPrintable(QString::number(longest)));
    }
}

} // namespace

class TestScenarios : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void everyBuiltInIsListed() {
        const QJsonObject byId = listed();
        for (const QString& id : kBuiltIns) {
            QVERIFY2(byId.contains(id), qPrintable("missing built-in scenario " + id));
            const auto s = byId.value(id).toObject();
            QVERIFY(!s.value("guideline").toObject().value("text").toString().isEmpty());
            QVERIFY(!s.value("watch_for").toString().isEmpty());
        }
    }

    void runMatrix_data() {
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("expected");
        const QJsonObject byId = listed();
        for (const QString& id : byId.keys()) {
            const auto expected = byId.value(id).toObject().value("expected").toObject();
            for (const QString variant : {"hazard", "fix"}) {
                for (const QString method : {"fork", "spawn", "forkserver"}) {
                    QTest::addRow("%s/%s/%s", qPrintable(id), qPrintable(variant), qPrintable(method))
                        << id << variant << method
                        << expected.value(variant).toObject().value(method).toString();
                }
            }
        }
    }
    void runMatrix() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QFETCH(QString, id);
        QFETCH(QString, variant);
        QFETCH(QString, method);
        QFETCH(QString, expected);
        QStringList args{"run", id, "--start-method", method, "--json", "--timeout", "20"};
        if (variant == "fix") {
            args << "--fix";
        }
        const auto r = runCli(args, 60000);
        const auto doc = QJsonDocument::fromJson(r.out.toUtf8());
        QVERIFY2(doc.isObject(), qPrintable(r.out + r.err));
        const QJsonObject s = doc.object();
        const QString context = r.out.left(4000) + r.err;
        QCOMPARE(s.value("outcome").toString(), expected);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(s.value("expected_outcome").toString(), expected);
        QCOMPARE(s.value("variant").toString(), variant);
        QCOMPARE(s.value("start_method").toString(), method);
        const QJsonObject leaks = s.value("leaks").toObject();
        for (const char* key : {"processes", "shm_segments", "semaphores", "fds"}) {
            QVERIFY2(leaks.value(key).toInt(-1) == 0, qPrintable(QString(key) + " leaked: " + context));
        }
        const bool hangs = expected == "deadlock" || expected == "stall";
        QCOMPARE(s.value("diagnosis").isObject(), hangs);
        if (hangs) {
            const auto diagnosis = s.value("diagnosis").toObject();
            QVERIFY(!diagnosis.value("guideline").toString().isEmpty());
            QVERIFY(!diagnosis.value("explanation").toString().isEmpty());
            QVERIFY(!diagnosis.value("chain").toArray().isEmpty());
            // Diagnosed within 5 s of the start, as the issue asks.
            QVERIFY2(s.value("duration_ms").toDouble() < 5000, qPrintable(context));
        }
        if (expected == "error") {
            QVERIFY(!s.value("error").toString().isEmpty());
        }
        checkHazardShows(id, variant, method, s);
    }

    void recordAndReplayAgree() {
        FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN();
        QTemporaryDir dir;
        const QString trace = dir.filePath("run.fstrace");
        const auto run = runCli({"run", "fork-with-threads", "--json", "--record", trace});
        QCOMPARE(run.exitCode, 0);
        const auto replay = runCli({"replay", trace, "--json"});
        QCOMPARE(replay.exitCode, 0);
        QJsonObject live = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QJsonObject again = QJsonDocument::fromJson(replay.out.toUtf8()).object();
        for (const char* key : {"scenario", "start_method", "variant", "outcome", "expected_outcome",
                                "diagnosis", "processes", "observations", "leaks", "error"}) {
            QVERIFY2(live.value(key) == again.value(key), key);
        }
        // The live metrics were taken a moment later (the teardown's events): the replay
        // counts the whole recording, so it has at least as many events.
        QVERIFY(again.value("metrics").toObject().value("events").toInteger() >=
                live.value("metrics").toObject().value("events").toInteger());
        QCOMPARE(again.value("metrics").toObject().value("zombies_max"),
                 live.value("metrics").toObject().value("zombies_max"));
        // A recording is never overwritten.
        const auto again2 = runCli({"run", "zombies", "--record", trace});
        QCOMPARE(again2.exitCode, 2);
        QVERIFY2(again2.err.contains("already exists"), qPrintable(again2.err));
    }

    void badInputExitsTwoAndRunsNothing_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        QTest::newRow("unknown id") << QStringList{"run", "no-such-scenario"} << "no-such-scenario";
        QTest::newRow("bad --set") << QStringList{"run", "zombies", "--set", "workers"} << "KEY=VALUE";
        QTest::newRow("unknown parameter") << QStringList{"run", "zombies", "--set", "colour=3"} << "colour";
        QTest::newRow("out of range") << QStringList{"run", "zombies", "--set", "workers=1000"} << "workers";
        QTest::newRow("bad start method")
            << QStringList{"run", "zombies", "--start-method", "vfork"} << "vfork";
        QTest::newRow("replay of a non-trace")
            << QStringList{"replay", QStringLiteral(FORKSCOPE_CLI)} << "forkscope-cli";
    }
    void badInputExitsTwoAndRunsNothing() {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        const auto r = runCli(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(named), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
    }

    void malformedScenarioFileNamesFileLineAndField() {
        QTemporaryDir dir;
        QFile file(dir.filePath("broken.json"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"format": 1, "id": "broken", "title": "t", "guideline": {"name": "n", "text": "t"},
  "processes": {"main": {"actions": [
    {"do": "putt", "object": "q"}
  ]}},
  "expected": {"hazard": {"fork": "completed", "spawn": "completed", "forkserver": "completed"},
               "fix": {"fork": "completed", "spawn": "completed", "forkserver": "completed"}}})");
        file.close();
        const auto r = runCli({"run", file.fileName()});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("broken.json:3"), qPrintable(r.err));
        QVERIFY2(r.err.contains("putt"), qPrintable(r.err));
    }
};

FORKSCOPE_TEST_MAIN(TestScenarios)
#include "tst_scenarios.moc"
