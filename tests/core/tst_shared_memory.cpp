// Named shared memory (Python's multiprocessing.shared_memory.SharedMemory) under each start
// method: creation is exclusive and private, names are unpredictable and validated, children
// attach (never own), and close/unlink behave as in Python.
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process_test_support.h"
#include "shm/resource_tracker.h"
#include "shm/shared_memory.h"
#include "test_main.h"

#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

using namespace forkscope;
using namespace forkscope::test;

namespace {

std::string readString(const SharedMemory& shm, std::size_t offset, std::size_t length) {
    const auto bytes = shm.buf().subspan(offset, length);
    std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return text.substr(0, text.find('\0'));
}

void writeString(const SharedMemory& shm, std::size_t offset, const std::string& text) {
    std::memcpy(shm.buf().subspan(offset).data(), text.data(), text.size() + 1);
}

bool existsInDevShm(const std::string& name) {
    return std::filesystem::exists("/dev/shm" + name);
}

/// A name nobody else uses, for tests that choose the name themselves.
std::string testName(const char* what) {
    return "/fs_test_" + std::to_string(::getpid()) + "_" + what;
}

/// arg 0: the segment (a start argument); arg 1: report pipe. Reads the parent's text, writes
/// its own at offset 64 and reports what it saw.
void readAndWrite(TaskArgs& args) {
    SharedMemory& shm = args.get<SharedMemory>(0);
    const int report = args.get<FdHandle>(1).fd();
    const std::string seen = readString(shm, 0, 64);
    writeString(shm, 64, "child was here");
    sendText(report, seen + "|" + std::to_string(shm.size()) + "|" +
                         (shm.isCreator() ? "creator" : "attached") + "|" + shm.name());
}
FORKSCOPE_TASK(readAndWrite);

/// arg 0: a name (a plain string); arg 1: report pipe. Attaches by name, reports the size and
/// whether this process ever talked to a resource tracker, then exits without unlinking.
void attachByName(TaskArgs& args) {
    SharedMemory shm = SharedMemory::attach(args.get<std::string>(0));
    sendText(args.get<FdHandle>(1).fd(),
             std::to_string(shm.size()) + "|" + readString(shm, 0, 32) + "|" +
                 (ResourceTracker::instance().fd() < 0 ? "no tracker" : "tracker"));
}
FORKSCOPE_TASK(attachByName);

/// arg 0: report; arg 1: gate. Creates a segment, fills it, reports its name, waits for the
/// gate and unlinks it.
void createInChild(TaskArgs& args) {
    SharedMemory shm = SharedMemory::create(4096);
    writeString(shm, 0, "made by the child");
    sendText(args.get<FdHandle>(0).fd(), shm.name());
    awaitByte(args.get<FdHandle>(1).fd());
    shm.unlink();
}
FORKSCOPE_TASK(createInChild);

void returnNothing(TaskArgs&) {}
FORKSCOPE_TASK(returnNothing);

} // namespace

class TestSharedMemory : public QObject {
    Q_OBJECT

private:
    LeakSnapshot before_;

private Q_SLOTS:
    void initTestCase() {
        // Long-lived helpers of this program (the forkserver, the resource tracker) start before
        // the baseline.
        Process warm(getContext(StartMethod::Forkserver), &returnNothing);
        warm.start();
        warm.join(10.0);
        ResourceTracker::instance().ensureRunning();
    }
    void init() {
        ResourceTracker::instance().ensureRunning();
        before_ = LeakSnapshot::take();
    }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }
    void cleanupTestCase() { QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0)); }

    void childAttachesReadsAndWrites_data() { addStartMethodRows(); }
    void childAttachesReadsAndWrites() {
        SharedMemory shm = SharedMemory::create(1000);
        QVERIFY(shm.isCreator());
        QCOMPARE(shm.size(), std::size_t(1000));
        writeString(shm, 0, "hello from the parent");
        TestPipe report;
        Process p = rowContext().process(&readAndWrite, {named("shm", shm), report.writeHandle()});
        p.start();
        const std::string seen = receiveText(report.read.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        // fstat may round the size of an attached segment up to a page under other systems;
        // on Linux it is exact.
        QCOMPARE(QString::fromStdString(seen),
                 QString::fromStdString("hello from the parent|1000|attached|" + shm.name()));
        QCOMPARE(QString::fromStdString(readString(shm, 64, 64)), QStringLiteral("child was here"));
        QVERIFY2(existsInDevShm(shm.name()), "a child that only attached must not unlink at exit");
        shm.unlink();
        QVERIFY(!existsInDevShm(shm.name()));
    }

    void childCreatesParentAttaches_data() { addStartMethodRows(); }
    void childCreatesParentAttaches() {
        TestPipe report;
        TestPipe gate;
        Process p = rowContext().process(&createInChild, {report.writeHandle(), gate.readHandle()});
        p.start();
        const std::string name = receiveText(report.read.get());
        {
            SharedMemory attached(name, false);
            QVERIFY(!attached.isCreator());
            QCOMPARE(attached.size(), std::size_t(4096));
            QCOMPARE(QString::fromStdString(readString(attached, 0, 64)),
                     QStringLiteral("made by the child"));
        }
        sendByte(gate.write.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(!existsInDevShm(name));
    }

    void attachOnlyExitDoesNotUnlink_data() { addStartMethodRows(); }
    void attachOnlyExitDoesNotUnlink() {
        SharedMemory shm = SharedMemory::create(100);
        writeString(shm, 0, "still here");
        TestPipe report;
        Process p = rowContext().process(&attachByName, {shm.name(), report.writeHandle()});
        p.start();
        const std::string seen = receiveText(report.read.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY2(seen.rfind("100|still here|", 0) == 0, seen.c_str());
        if (!rowIsFork()) {
            // A fresh image that only attached never even connected to a tracker.
            QCOMPARE(QString::fromStdString(seen), QStringLiteral("100|still here|no tracker"));
        }
        QVERIFY(existsInDevShm(shm.name()));
        QCOMPARE(QString::fromStdString(readString(SharedMemory::attach(shm.name()), 0, 32)),
                 QStringLiteral("still here"));
        shm.unlink();
    }

    void creationIsExclusive() {
        const std::string name = testName("exclusive");
        SharedMemory first = SharedMemory::create(64, name);
        QCOMPARE(QString::fromStdString(first.name()), QString::fromStdString(name));
        try {
            SharedMemory second(name, true, 64);
            QFAIL("creating an existing name must fail");
        } catch (const OsError& e) {
            QCOMPARE(e.code(), EEXIST);
            const std::string what = e.what();
            QVERIFY2(what.find(name) != std::string::npos && what.find("exists") != std::string::npos,
                     e.what());
        }
        first.unlink();
    }

    void permissionsAreOwnerOnly() {
        const mode_t oldMask = ::umask(0); // even with a permissive umask
        SharedMemory shm = SharedMemory::create(64);
        ::umask(oldMask);
        struct stat info {};
        QCOMPARE(::stat(("/dev/shm" + shm.name()).c_str(), &info), 0);
        QCOMPARE(info.st_mode & 0777, mode_t(0600));
        QCOMPARE(info.st_uid, ::getuid());
        shm.unlink();
    }

    void generatedNamesAreUnpredictable() {
        const std::regex shape("^/fs_[0-9a-f]{16}$");
        std::set<std::string> names;
        for (int i = 0; i < 20; ++i) {
            SharedMemory shm = SharedMemory::create(16);
            QVERIFY2(std::regex_match(shm.name(), shape), shm.name().c_str());
            names.insert(shm.name());
            shm.unlink();
        }
        QCOMPARE(names.size(), std::size_t(20));
    }

    void aNameWithoutItsSlashGetsOne() {
        // Python's SharedMemory takes and shows names without the leading '/' and adds it
        // itself: such a name must work here too, and mean the same segment as with the '/'.
        const std::string bare = "fs_plain_" + std::to_string(::getpid());
        SharedMemory shm = SharedMemory::create(64, bare);
        QCOMPARE(QString::fromStdString(shm.name()), QString::fromStdString("/" + bare));
        QVERIFY(existsInDevShm(shm.name()));
        writeString(shm, 0, "one segment");
        SharedMemory byBare = SharedMemory::attach(bare);
        SharedMemory bySlash = SharedMemory::attach("/" + bare);
        QCOMPARE(QString::fromStdString(readString(byBare, 0, 64)), QStringLiteral("one segment"));
        QCOMPARE(QString::fromStdString(readString(bySlash, 0, 64)), QStringLiteral("one segment"));
        byBare.unlink(); // unlinks the creator's segment: one name
        QVERIFY(!existsInDevShm(shm.name()));
    }

    void badNamesAreRefused_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::addColumn<QString>("rule");
        QTest::newRow("inner slash") << QByteArray("/fs/inner") << "'/' after the leading one";
        QTest::newRow("newline injection") << QByteArray("/fs_x\nUNREGISTER /fs_victim") << "newline";
        QTest::newRow("control character") << QByteArray("/fs_\x1b[31m") << "control characters";
        QTest::newRow("too long") << QByteArray("/" + QByteArray(300, 'a')) << "NAME_MAX";
        QTest::newRow("only a slash") << QByteArray("/") << "at least one character";
        QTest::newRow("empty") << QByteArray() << "empty";
        QTest::newRow("dot dot") << QByteArray("/..") << "directories";
    }
    void badNamesAreRefused() {
        QFETCH(QByteArray, name);
        QFETCH(QString, rule);
        const std::string text = name.toStdString();
        for (bool create : {true, false}) {
            try {
                SharedMemory shm(text, create, 64);
                QFAIL("a bad name must be refused");
            } catch (const std::invalid_argument& e) {
                const std::string what = e.what();
                QVERIFY2(what.find(rule.toStdString()) != std::string::npos, e.what());
                QVERIFY2(what.find("invalid shared memory name '") != std::string::npos, e.what());
                QVERIFY2(what.find('\n') == std::string::npos, "the message must stay on one line");
            }
        }
    }

    void closeAndUnlinkSemantics() {
        SharedMemory shm = SharedMemory::create(256);
        SharedMemory copy = shm; // a handle to the same mapping
        writeString(copy, 0, "shared by copies");
        QCOMPARE(QString::fromStdString(readString(shm, 0, 64)), QStringLiteral("shared by copies"));

        // Unlinking removes the name, not the memory: the mapping stays usable.
        shm.unlink();
        QVERIFY(!existsInDevShm(shm.name()));
        writeString(shm, 0, "after unlink");
        QCOMPARE(QString::fromStdString(readString(copy, 0, 64)), QStringLiteral("after unlink"));
        try {
            (void)SharedMemory::attach(shm.name());
            QFAIL("attaching to an unlinked name must fail");
        } catch (const OsError& e) {
            QCOMPARE(e.code(), ENOENT);
        }
        try {
            shm.unlink();
            QFAIL("unlinking twice must fail like FileNotFoundError");
        } catch (const OsError& e) {
            QCOMPARE(e.code(), ENOENT);
        }

        QVERIFY(!copy.closed());
        copy.close();
        QVERIFY(shm.closed()); // copies share the mapping
        shm.close();           // idempotent
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)shm.buf());
        QCOMPARE(shm.size(), std::size_t(256)); // name and size survive close()
        QVERIFY(!shm.name().empty());
    }

    void closeThenUnlink() {
        SharedMemory shm = SharedMemory::create(64);
        shm.close();
        QVERIFY(existsInDevShm(shm.name()));
        shm.unlink(); // Python allows unlink() after close()
        QVERIFY(!existsInDevShm(shm.name()));
    }

    void invalidSizesAndMissingNames() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SharedMemory(std::nullopt, true, 0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SharedMemory(std::nullopt, false));
        try {
            (void)SharedMemory::attach(testName("missing"));
            QFAIL("attaching to a missing name must fail");
        } catch (const OsError& e) {
            QCOMPARE(e.code(), ENOENT);
            QVERIFY2(std::string(e.what()).find(testName("missing")) != std::string::npos, e.what());
        }
        SharedMemory empty;
        QVERIFY(!empty.valid());
        QVERIFY_THROWS_EXCEPTION(ProcessError, (void)empty.name());
    }
};

FORKSCOPE_TEST_MAIN(TestSharedMemory)
#include "tst_shared_memory.moc"
