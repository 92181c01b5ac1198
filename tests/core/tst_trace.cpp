// The .fstrace file: round trip, reading while it is written (also from another process),
// keyframe spacing, and clear errors for anything that is not a readable trace.
#include "analysis/trace_fuzz.h"
#include "process/context.h"
#include "process/fd_handle.h"
#include "process_test_support.h"
#include "test_main.h"
#include "trace/trace_format_error.h"
#include "trace/trace_reader.h"
#include "trace/trace_schema.h"
#include "trace/trace_writer.h"

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <random>
#include <sqlite3.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

std::vector<Event> randomEvents(std::size_t n, std::uint32_t seed, std::int64_t start = 1000) {
    std::mt19937_64 rng(seed);
    static constexpr EventType kTypes[] = {
        EventType::LockWait, EventType::LockAcquire, EventType::LockRelease,
        EventType::QueuePut, EventType::QueueGet,    EventType::PipeSend,
        EventType::PipeRecv, EventType::Error,       EventType::PoolTaskStarted};
    std::vector<Event> events(n);
    std::int64_t ts = start;
    for (Event& e : events) {
        ts += static_cast<std::int64_t>(rng() % 1000);
        e.ts = ts;
        e.pid = static_cast<std::int32_t>(100 + rng() % 8);
        e.tid = e.pid + static_cast<std::int32_t>(rng() % 3);
        e.type = kTypes[rng() % std::size(kTypes)];
        e.object = rng(); // full 64-bit range: must survive SQLite's signed integers
        e.arg = rng();
        e.aux = static_cast<std::uint32_t>(rng());
    }
    return events;
}

std::vector<std::uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeBytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void sqlExec(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    QVERIFY(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, message.c_str());
}

void writeTrace(const std::string& path, const std::vector<Event>& events, std::uint32_t interval = 4096) {
    TraceWriter writer(path, TraceMeta{"test", R"({"n":1})", "fork", "testhost", {{"note", "round trip"}}},
                       TraceWriterOptions{interval});
    writer.appendEvents(events);
    writer.finish();
}

/// Runs every query; only TraceFormatError may come out.
void readEverything(const std::string& path) {
    TraceReader reader(path);
    (void)reader.meta();
    (void)reader.processes();
    (void)reader.objects();
    (void)reader.drops();
    (void)reader.events(0, 100000);
    if (auto range = reader.timeRange()) {
        (void)reader.keyframeAtOrBefore(range->second);
    }
}

/// Reports the reader's view of a growing trace: "lastSeq|finished".
void reportTraceView(TaskArgs& args) {
    TraceReader reader(args.get<std::string>(1));
    sendText(args.get<FdHandle>(0).fd(),
             std::to_string(reader.lastSeq()) + "|" + (reader.finished() ? "finished" : "growing"));
}
FORKSCOPE_TASK(reportTraceView);

} // namespace

class TestTrace : public QObject {
    Q_OBJECT

    LeakSnapshot before_;
    QTemporaryDir dir_;

    std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

private Q_SLOTS:
    void init() { before_ = LeakSnapshot::take(); }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }

    void roundTrip() {
        const std::string file = path("roundtrip.fstrace");
        const std::vector<Event> events = randomEvents(10000, 1);
        {
            TraceWriter writer(file,
                               TraceMeta{"deadlock", R"({"workers":4})", "spawn", "hostA", {{"k", "v"}}},
                               TraceWriterOptions{100});
            writer.recordProcess({101, 100, "Process-1", 1, 5});
            writer.recordProcess({102, 100, "Process-2", 2, 6});
            writer.recordObject({kFirstObjectId + 7, ObjectKind::Queue, "q", 65536, 100, 9});
            writer.recordObject({kFirstObjectId + 8, ObjectKind::Lock, "l", 0, 101, 10});
            writer.recordDrops(101, 42);
            writer.appendEvents(std::span(events).first(4000));
            writer.appendEvents(std::span(events).subspan(4000));
            QCOMPARE(writer.eventCount(), 10000U);
        }
        TraceReader reader(file);
        QCOMPARE(reader.formatVersion(), trace_schema::kFormatVersion);
        QVERIFY(reader.finished());
        auto meta = reader.meta();
        QCOMPARE(meta["scenario"], std::string("deadlock"));
        QCOMPARE(meta["parameters"], std::string(R"({"workers":4})"));
        QCOMPARE(meta["start_method"], std::string("spawn"));
        QCOMPARE(meta["host"], std::string("hostA"));
        QCOMPARE(meta["k"], std::string("v"));
        QVERIFY(!meta["forkscope_version"].empty());
        QCOMPARE(meta["event_count"], std::string("10000"));

        const auto processes = reader.processes();
        QCOMPARE(processes.size(), std::size_t{2});
        QCOMPARE(processes[1].pid, 102);
        QCOMPARE(processes[1].parentPid, 100);
        QCOMPARE(processes[1].name, std::string("Process-2"));
        QCOMPARE(processes[1].startMethod, 2);
        QCOMPARE(processes[1].firstSeenNs, std::int64_t{6});
        const auto objects = reader.objects();
        QCOMPARE(objects.size(), std::size_t{2});
        QCOMPARE(objects[0].id, kFirstObjectId + 7);
        QCOMPARE(objects[0].kind, ObjectKind::Queue);
        QCOMPARE(objects[0].capacity, 65536U);
        QCOMPARE(reader.object(kFirstObjectId + 8)->name, std::string("l"));
        QVERIFY(!reader.object(12345).has_value());
        QCOMPARE(reader.drops().at(101), 42U);

        QCOMPARE(reader.lastSeq(), 10000U);
        QVERIFY(reader.events(0, 100000) == events);
        const std::vector<Event> page = reader.events(2500, 10);
        QVERIFY(std::equal(page.begin(), page.end(), events.begin() + 2500));
        QCOMPARE(reader.timeRange()->first, events.front().ts);
        QCOMPARE(reader.timeRange()->second, events.back().ts);
        QCOMPARE(reader.keyframeAtOrBefore(events.back().ts)->seq, 10000U);
        QCOMPARE(reader.keyframeAtOrBefore(events[250].ts)->seq, 200U);
        QVERIFY(!reader.keyframeAtOrBefore(events[98].ts).has_value());
    }

    void readWhileWriting() {
        const std::string file = path("growing.fstrace");
        const std::vector<Event> events = randomEvents(300, 2);
        TraceWriter writer(file, TraceMeta{"live", "{}", "fork", {}, {}});
        writer.appendEvents(std::span(events).first(100));
        TraceReader reader(file);
        QCOMPARE(reader.lastSeq(), 100U);
        QVERIFY(!reader.finished());
        writer.appendEvents(std::span(events).subspan(100, 150));
        QCOMPARE(reader.lastSeq(), 250U);
        const std::vector<Event> fresh = reader.events(100, 1000);
        QVERIFY(std::equal(fresh.begin(), fresh.end(), events.begin() + 100, events.begin() + 250));

        // Another process opening the growing file sees the same.
        TestPipe report;
        Process child =
            getContext(StartMethod::Spawn).process(&reportTraceView, {report.writeHandle(), file});
        child.start();
        QCOMPARE(receiveText(report.read.get()), std::string("250|growing"));
        child.join(20.0);
        QCOMPARE(child.exitCode(), 0);

        writer.appendEvents(std::span(events).subspan(250));
        writer.finish();
        QCOMPARE(reader.lastSeq(), 300U);
        QVERIFY(reader.finished());
    }

    void keyframesEveryInterval() {
        const std::string file = path("keyframes.fstrace");
        const std::vector<Event> events = randomEvents(1000, 3);
        writeTrace(file, events, 64);
        TraceReader reader(file);
        QCOMPARE(reader.keyframeAtOrBefore(events[130].ts)->seq, 128U);
        QCOMPARE(reader.keyframeAtOrBefore(events.back().ts)->seq, 960U); // 15 keyframes
        QCOMPARE(reader.keyframeAtOrBefore(events.back().ts)->state.seq, 960U);
    }

    void writerRefusesMisuse() {
        const std::string file = path("misuse.fstrace");
        std::vector<Event> events = randomEvents(10, 4);
        {
            TraceWriter writer(file, TraceMeta{});
            writer.appendEvents(events);
            std::vector<Event> backwards = randomEvents(5, 5, 0);
            QVERIFY_THROWS_EXCEPTION(TraceWriteError, writer.appendEvents(backwards));
            // The refused batch left nothing behind.
            QCOMPARE(writer.eventCount(), 10U);
        }
        QCOMPARE(TraceReader(file).lastSeq(), 10U);
        QVERIFY_THROWS_EXCEPTION(TraceWriteError, TraceWriter(file, TraceMeta{}));
    }

    void malformedFilesGiveClearErrors_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << "missing"
                                 << "no such file";
        QTest::newRow("empty") << "empty"
                               << "the file is empty";
        QTest::newRow("random bytes") << "random"
                                      << "not an SQLite database";
        QTest::newRow("other SQLite database") << "other"
                                               << "not a Forkscope trace";
        QTest::newRow("newer format version") << "newer"
                                              << "newer Forkscope (format version 99";
        QTest::newRow("damaged format version") << "badversion"
                                                << "damaged";
        QTest::newRow("no meta table") << "nometa"
                                       << "no meta table";
        QTest::newRow("truncated") << "truncated"
                                   << "truncated";
        QTest::newRow("truncated header") << "truncatedheader"
                                          << "truncated";
    }
    void malformedFilesGiveClearErrors() {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        const std::string file = path(("bad-" + kind + ".fstrace").toStdString().c_str());
        std::filesystem::remove(file);
        std::mt19937_64 rng(7);
        if (kind == "empty") {
            writeBytes(file, {});
        } else if (kind == "random") {
            std::vector<std::uint8_t> junk(8192);
            for (auto& b : junk) {
                b = static_cast<std::uint8_t>(rng());
            }
            writeBytes(file, junk);
        } else if (kind == "other") {
            sqlExec(
                file,
                "CREATE TABLE meta(key TEXT, value TEXT); INSERT INTO meta VALUES('format_version', '1');");
        } else if (kind != "missing") {
            writeTrace(file, randomEvents(5000, 8), 256);
            if (kind == "newer") {
                sqlExec(file, "UPDATE meta SET value = '99' WHERE key = 'format_version'");
            } else if (kind == "badversion") {
                sqlExec(file, "UPDATE meta SET value = 'one' WHERE key = 'format_version'");
            } else if (kind == "nometa") {
                sqlExec(file, "DROP TABLE meta");
            } else if (kind == "truncated") {
                std::vector<std::uint8_t> bytes = readBytes(file);
                bytes.resize(bytes.size() / 2);
                writeBytes(file, bytes);
            } else if (kind == "truncatedheader") {
                std::vector<std::uint8_t> bytes = readBytes(file);
                bytes.resize(50);
                writeBytes(file, bytes);
            }
        }
        try {
            readEverything(file);
            QFAIL("a malformed trace was read without an error");
        } catch (const TraceFormatError& e) {
            const std::string message = e.what();
            QVERIFY2(message.find(file) != std::string::npos, message.c_str());
            QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
            QVERIFY2(message.find('\n') == std::string::npos, message.c_str());
        }
        if (kind != "missing") {
            const std::vector<std::uint8_t> bytes = readBytes(file);
            QCOMPARE(fuzzTraceReader(bytes.data(), bytes.size()), 0);
        }
    }

    /// Damage in the middle of the file (not detectable from the header) is met by the query
    /// that reads it: an error, never a crash or a hang.
    void corruptedPagesAndMutations() {
        const std::string file = path("corrupt.fstrace");
        writeTrace(file, randomEvents(3000, 9), 128);
        const std::vector<std::uint8_t> good = readBytes(file);
        QCOMPARE(fuzzTraceReader(good.data(), good.size()), 0);

        std::vector<std::uint8_t> bad = good;
        for (std::size_t i = bad.size() / 3; i < bad.size() / 3 + 8192 && i < bad.size(); ++i) {
            bad[i] = 0xAB;
        }
        const std::string badFile = path("corrupt-middle.fstrace");
        writeBytes(badFile, bad);
        try {
            readEverything(badFile);
        } catch (const TraceFormatError& e) {
            QVERIFY(std::string(e.what()).find(badFile) != std::string::npos);
        }
        QCOMPARE(fuzzTraceReader(bad.data(), bad.size()), 0);

        // A small fuzzing campaign over single-byte and block mutations.
        std::mt19937_64 rng(11);
        for (int round = 0; round < 150; ++round) {
            std::vector<std::uint8_t> mutated = good;
            const int edits = 1 + static_cast<int>(rng() % 8);
            for (int k = 0; k < edits; ++k) {
                mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(rng());
            }
            if (round % 10 == 0) {
                mutated.resize(rng() % mutated.size());
            }
            QCOMPARE(fuzzTraceReader(mutated.data(), mutated.size()), 0);
        }
    }
};

FORKSCOPE_TEST_MAIN(TestTrace)
#include "tst_trace.moc"
