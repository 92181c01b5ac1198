// Scenario files: a valid one loads; each kind of mistake is refused with the file, the line
// and the field; the JSON Schema in resources/ matches the catalogue it is generated from.
#include "scenario/action_catalog.h"
#include "scenario/scenario_loader.h"

#include <QFile>
#include <QtTest/QtTest>
#include <fstream>
#include <sstream>

using namespace forkscope;

namespace {
std::string readFile(const QString& path) {
    std::ifstream in(path.toStdString());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

const QString kValid = QStringLiteral(FORKSCOPE_TEST_DATA "/valid_scenario.json");

/// The valid file with one textual replacement.
std::string mutated(const std::string& from, const std::string& to) {
    std::string text = readFile(kValid);
    auto at = text.find(from);
    if (at == std::string::npos) {
        qFatal("test setup: '%s' not in the valid scenario", from.c_str());
    }
    return text.replace(at, from.size(), to);
}

int lineOf(const std::string& text, const std::string& needle) {
    auto at = text.find(needle);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}
} // namespace

class TestScenarioLoader : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void validFileLoads() {
        Scenario s = ScenarioLoader::loadFile(kValid.toStdString());
        QCOMPARE(QString::fromStdString(s.id), QStringLiteral("queue-join-deadlock"));
        QCOMPARE(QString::fromStdString(s.guideline.name),
                 QStringLiteral("Joining processes that use queues"));
        QCOMPARE(s.processes.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(s.processes.front().name), QStringLiteral("main"));
        const ProcessSpec* main = s.process("main");
        QCOMPARE(main->actionsFor(Variant::Hazard).size(), std::size_t(3));
        QCOMPARE(QString::fromStdString(main->actionsFor(Variant::Hazard)[1].verb), QStringLiteral("join"));
        QCOMPARE(QString::fromStdString(main->actionsFor(Variant::Fix)[1].verb), QStringLiteral("get"));
        QVERIFY(s.expected[Variant::Hazard][StartMethod::Spawn] == Outcome::Deadlock);
        QVERIFY(s.expected[Variant::Fix][StartMethod::Fork] == Outcome::Completed);
        const std::string text = readFile(kValid);
        QCOMPARE(s.process("worker")->actions.front().line, lineOf(text, "{\"do\": \"put\""));
    }

    void badFilesNameLineAndField_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("lineOfText"); // the line the error must name: where this text is
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");
        QTest::newRow("syntax") << "\"fix\": \"main gets"
                                << "\"fix\" \"main gets"
                                << "\"fix\" \"main gets"
                                << ""
                                << "not valid JSON";
        QTest::newRow("unknown action") << "{\"do\": \"put\""
                                        << "{\"do\": \"putt\""
                                        << "{\"do\": \"putt\""
                                        << "/processes/worker/actions/0/do"
                                        << "unknown action 'putt'";
        QTest::newRow("wrong type") << "\"bytes\": \"$payload_bytes\""
                                    << "\"bytes\": \"lots\""
                                    << "\"bytes\": \"lots\""
                                    << "/processes/worker/actions/0/bytes"
                                    << "must be an integer";
        QTest::newRow("undefined parameter") << "\"bytes\": \"$payload_bytes\""
                                             << "\"bytes\": \"$payload\""
                                             << "\"bytes\": \"$payload\""
                                             << "/processes/worker/actions/0/bytes"
                                             << "undefined parameter 'payload'";
        QTest::newRow("default out of range") << "\"default\": 1000000"
                                              << "\"default\": 100000000"
                                              << "\"default\": 100000000"
                                              << "/parameters/payload_bytes/default"
                                              << "must be between 1 and 67108864";
        QTest::newRow("undefined process") << "{\"do\": \"join\", \"process\": \"worker\"}"
                                           << "{\"do\": \"join\", \"process\": \"wroker\"}"
                                           << "\"wroker\""
                                           << "/processes/main/hazard/1/process"
                                           << "undefined process 'wroker'";
        QTest::newRow("undefined object")
            << "{\"do\": \"get\", \"object\": \"q\"}\n      ],\n      \"fix\""
            << "{\"do\": \"get\", \"object\": \"queue\"}\n      ],\n      \"fix\""
            << "\"object\": \"queue\""
            << "/processes/main/hazard/2/object"
            << "undefined object 'queue'";
        QTest::newRow("unknown field") << "\"maxsize\": 0"
                                       << "\"maxsize\": 0, \"color\": 3"
                                       << "\"color\""
                                       << "/objects/q/color"
                                       << "unknown field 'color'";
        QTest::newRow("unknown kind") << "\"kind\": \"queue\""
                                      << "\"kind\": \"tube\""
                                      << "\"kind\": \"tube\""
                                      << "/objects/q/kind"
                                      << "unknown object kind 'tube'";
        QTest::newRow("bad outcome") << "\"spawn\": \"deadlock\""
                                     << "\"spawn\": \"hang\""
                                     << "\"spawn\": \"hang\""
                                     << "/expected/hazard/spawn"
                                     << "unknown outcome 'hang'";
        QTest::newRow("missing field") << "\"title\": \"Join before get: the queue feeder deadlock\","
                                       << ""
                                       << "{"
                                       << ""
                                       << "missing required field 'title'";
        QTest::newRow("wrong format") << "\"format\": 1"
                                      << "\"format\": 2"
                                      << "\"format\": 2"
                                      << "/format"
                                      << "unsupported format 2";
    }
    void badFilesNameLineAndField() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, lineOfText);
        QFETCH(QString, field);
        QFETCH(QString, message);
        const std::string text = mutated(from.toStdString(), to.toStdString());
        try {
            (void)ScenarioLoader::loadText(text, "bad.json");
            QFAIL("a bad scenario must be refused");
        } catch (const ScenarioError& e) {
            QCOMPARE(QString::fromStdString(e.file()), QStringLiteral("bad.json"));
            QCOMPARE(e.line(), lineOf(text, lineOfText.toStdString()));
            QCOMPARE(QString::fromStdString(e.field()), field);
            QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).startsWith("bad.json:"), e.what());
        }
    }

    void missingFileIsAClearError() {
        QVERIFY_THROWS_EXCEPTION(ScenarioError, (void)ScenarioLoader::loadFile("/nonexistent/scenario.json"));
    }

    void parameterOverrides() {
        Scenario s = ScenarioLoader::loadFile(kValid.toStdString());
        ParameterValues values = ScenarioLoader::resolveParameters(s, {{"workers", "3"}});
        QCOMPARE(values["workers"].get<int>(), 3);
        QCOMPARE(values["payload_bytes"].get<int>(), 1000000);
        QCOMPARE(ScenarioLoader::integerField("$workers", values), std::int64_t(3));
        try {
            (void)ScenarioLoader::resolveParameters(s, {{"workers", "40"}});
            QFAIL("out of range must be refused");
        } catch (const ScenarioError& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("between 1 and 8 (got 40)"), e.what());
            QVERIFY2(QString::fromUtf8(e.what()).contains("--set workers"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(ScenarioError,
                                 (void)ScenarioLoader::resolveParameters(s, {{"colour", "1"}}));
        QVERIFY_THROWS_EXCEPTION(ScenarioError,
                                 (void)ScenarioLoader::resolveParameters(s, {{"workers", "many"}}));
    }

    void schemaFileMatchesCatalogue() {
        const QString path = QStringLiteral(FORKSCOPE_SOURCE_DIR "/resources/scenario.schema.json");
        const std::string generated = ActionCatalog::schema().dump(2) + "\n";
        if (qEnvironmentVariableIsSet("FORKSCOPE_UPDATE_SCHEMA")) {
            std::ofstream(path.toStdString()) << generated;
        }
        QVERIFY2(readFile(path) == generated,
                 "resources/scenario.schema.json is stale: rerun this test with FORKSCOPE_UPDATE_SCHEMA=1");
    }
};

QTEST_APPLESS_MAIN(TestScenarioLoader)
#include "tst_scenario_loader.moc"
