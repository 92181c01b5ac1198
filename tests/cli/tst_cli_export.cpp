// forkscope-cli export as scripts meet it: a good export in both formats, and bad input (a
// missing file, a file that is not a trace, an unknown format, an unwritable output) exits 2 with
// one line naming the problem and never leaves a partial output behind.
#include "cli_runner.h"
#include "test_events.h"
#include "trace/trace_writer.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using namespace forkscope;
using forkscope::test::ev;

using Result = forkscope::test::CliResult;
using forkscope::test::runCli;

namespace {} // namespace

class TestCliExport : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

    /// No OUT and no OUT.tmp: a failed export leaves nothing.
    static bool nothingLeft(const QString& out) {
        return !QFile::exists(out) && !QFile::exists(out + ".tmp");
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const std::uint64_t queue = kFirstObjectId + 1;
        TraceWriter writer(path("run.fstrace").toStdString(), TraceMeta{"cli-export", "{}", "fork", {}, {}});
        writer.recordProcess({10, 0, "main", -1, 0});
        writer.recordProcess({11, 10, "worker-0", 0, 0});
        writer.recordObject({queue, ObjectKind::Queue, "q", 0, 10, 0});
        writer.appendEvents(std::vector<Event>{
            ev(1000, 10, EventType::ProcessCreated, 11), ev(2000, 11, EventType::QueuePut, queue, 8),
            ev(3000, 11, EventType::QueuePut, queue, 8), ev(4000, 10, EventType::QueueGet, queue, 8),
            ev(5000, 11, EventType::ProcessExited, 11, 0), ev(6000, 10, EventType::ProcessReaped, 11, 0)});
        writer.finish();
        QFile text(path("notes.txt"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("this is not a trace\n");
    }

    void exportsChromeJson() {
        const QString out = path("run.json");
        Result r = runCli({"export", path("run.fstrace"), "--format", "chrome-json", "-o", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        QVERIFY(!QFile::exists(out + ".tmp"));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(doc.object().value("traceEvents").isArray());
        QVERIFY(!doc.object().value("traceEvents").toArray().isEmpty());
    }

    void exportsCsv() {
        const QString out = path("run.csv");
        Result r = runCli({"export", path("run.fstrace"), "--format", "csv", "-o", out, "--points", "10"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), 11);
        QCOMPARE(lines[0], QStringLiteral("t_ms,queue_depth:q,queue_pipe_bytes:q,zombie_count"));
    }

    void badInputExitsTwoAndLeavesNothing_data() {
        QTest::addColumn<QString>("trace");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("out");
        QTest::addColumn<QString>("named");
        const QString missing = path("missing.fstrace");
        QTest::newRow("missing file") << missing << "chrome-json" << path("a.json") << missing;
        QTest::newRow("not a trace") << path("notes.txt") << "csv" << path("b.csv") << path("notes.txt");
        QTest::newRow("unknown format") << path("run.fstrace") << "xml" << path("c.xml") << "--format";
        const QString unwritable = path("no-such-dir/d.json");
        QTest::newRow("unwritable output")
            << path("run.fstrace") << "chrome-json" << unwritable << unwritable;
    }
    void badInputExitsTwoAndLeavesNothing() {
        QFETCH(QString, trace);
        QFETCH(QString, format);
        QFETCH(QString, out);
        QFETCH(QString, named);
        Result r = runCli({"export", trace, "--format", format, "-o", out});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(named), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0); // exactly one line
        QVERIFY(r.out.isEmpty());
        QVERIFY(nothingLeft(out));
    }

    void failedExportKeepsAnExistingOutput() {
        const QString out = path("keep.json");
        {
            QFile file(out);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("previous");
        }
        Result r = runCli({"export", path("notes.txt"), "--format", "chrome-json", "-o", out});
        QCOMPARE(r.exitCode, 2);
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("previous"));
        QVERIFY(!QFile::exists(out + ".tmp"));
    }
};

QTEST_GUILESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
