// The resource tracker (Python's multiprocessing.resource_tracker): it unlinks what a program
// tree leaves registered when the last holder of its channel is gone — even after SIGKILL —,
// it cannot be steered by names or garbage, and a killed tracker is replaced.
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process_test_support.h"
#include "shm/resource_tracker.h"
#include "shm/shared_memory.h"
#include "shm/tracker_message.h"
#include "test_main.h"
#include "throws_with.h"

#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <variant>

using namespace forkscope;
using namespace forkscope::test;

namespace {

bool existsInDevShm(const std::string& name) {
    return std::filesystem::exists("/dev/shm" + name);
}

/// Reads fd until EOF (bounded) and returns everything.
std::string readAll(int fd, double timeoutSeconds) {
    std::string text;
    char chunk[4096];
    while (fdio::waitFor(fd, POLLIN, timeoutSeconds)) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            break;
        }
        text.append(chunk, static_cast<std::size_t>(n));
    }
    return text;
}

void returnNothing(TaskArgs&) {}
FORKSCOPE_TASK(returnNothing);

/// The "parent" that gets killed. arg 0: report; arg 1: gate (never opened); arg 2: a pipe that
/// becomes its stderr (and so its tracker's). Creates a segment — starting its own tracker —,
/// reports "name|tracker pid" and waits to be killed.
void createThenHang(TaskArgs& args) {
    ::dup2(args.get<FdHandle>(2).fd(), STDERR_FILENO);
    SharedMemory shm = SharedMemory::create(64);
    sendText(args.get<FdHandle>(0).fd(),
             shm.name() + "|" + std::to_string(ResourceTracker::instance().pid()));
    awaitByte(args.get<FdHandle>(1).fd());
}
FORKSCOPE_TASK(createThenHang);

/// arg 0: a segment (brings the parent's tracker channel along); arg 1: ready; arg 2: gate;
/// arg 3: report. After the gate, creates a segment: if the adopted tracker was killed meanwhile
/// this finds out by EPIPE and starts its own. Reports "adopted|restarted-pid", then unlinks.
void createAfterGate(TaskArgs& args) {
    (void)args.get<SharedMemory>(0);
    const int adopted = ResourceTracker::instance().fd();
    const pid_t before = ResourceTracker::instance().pid();
    sendByte(args.get<FdHandle>(1).fd());
    awaitByte(args.get<FdHandle>(2).fd());
    SharedMemory mine = SharedMemory::create(64);
    sendText(args.get<FdHandle>(3).fd(),
             std::string(adopted >= 0 && before == 0 ? "adopted" : "not adopted") + "|" +
                 std::to_string(ResourceTracker::instance().pid()));
    mine.unlink();
}
FORKSCOPE_TASK(createAfterGate);

/// arg 0: report. Creates a segment, reports "name|tracker pid" and returns WITHOUT unlinking:
/// the process's exit stops its tracker, which then removes the leaked segment.
void createAndLeak(TaskArgs& args) {
    SharedMemory shm = SharedMemory::create(64);
    sendText(args.get<FdHandle>(0).fd(),
             shm.name() + "|" + std::to_string(ResourceTracker::instance().pid()));
}
FORKSCOPE_TASK(createAndLeak);

/// arg 0: a name; arg 1: report. Attaches and says whether it is the creator and whether this
/// process is connected to a tracker at all.
void attachAndReport(TaskArgs& args) {
    SharedMemory attached = SharedMemory::attach(args.get<std::string>(0));
    sendText(args.get<FdHandle>(1).fd(),
             std::string(attached.isCreator() ? "creator" : "attached") + "|" +
                 (ResourceTracker::instance().fd() < 0 ? "no tracker" : "shared tracker"));
}
FORKSCOPE_TASK(attachAndReport);

/// arg 0: report. Creates a segment in a fork child (through the inherited channel) and
/// exits without unlinking it.
void createWithInheritedChannel(TaskArgs& args) {
    SharedMemory shm = SharedMemory::create(64);
    sendText(args.get<FdHandle>(0).fd(),
             shm.name() + "|" + std::to_string(ResourceTracker::instance().pid()));
}
FORKSCOPE_TASK(createWithInheritedChannel);

/// arg 0: a segment created by the parent (brings its tracker channel along); arg 1: report.
/// Unlinks what it merely attached to, as a consumer may, and says so.
void unlinkAttached(TaskArgs& args) {
    SharedMemory shm = args.get<SharedMemory>(0);
    const bool creator = shm.isCreator();
    shm.unlink();
    sendText(args.get<FdHandle>(1).fd(), creator ? "creator unlinked" : "unlinked");
}
FORKSCOPE_TASK(unlinkAttached);

/// SIGKILLs this process's tracker and waits (bounded) until it is dead, without reaping it:
/// its pid, or 0 if there was none or it did not die.
pid_t killOurTracker() {
    const pid_t tracker = ResourceTracker::instance().pid();
    if (tracker <= 0 || ::kill(tracker, SIGKILL) != 0 || !waitForExit(tracker, 10.0)) {
        return 0;
    }
    return tracker;
}

/// Stops this process's tracker and starts a new one whose stderr is `errors` (our own stderr
/// is the pipe only while it starts), so that a test can read what the tracker says.
bool restartTrackerWritingTo(const TestPipe& errors) {
    if (ResourceTracker::instance().stop() != std::optional<int>(0)) {
        return false;
    }
    const int savedStderr = ::dup(STDERR_FILENO);
    if (savedStderr < 0 || ::dup2(errors.write.get(), STDERR_FILENO) < 0) {
        return false;
    }
    bool started = true;
    try {
        ResourceTracker::instance().ensureRunning();
    } catch (const std::exception&) {
        started = false;
    }
    ::dup2(savedStderr, STDERR_FILENO);
    ::close(savedStderr);
    return started && ResourceTracker::instance().pid() > 0;
}

void sendRaw(int fd, const std::vector<std::uint8_t>& bytes) {
    QVERIFY(fdio::waitFor(fd, POLLOUT, 5.0));
    QCOMPARE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

std::vector<std::uint8_t> bytesOf(const std::string& text) {
    return {text.begin(), text.end()};
}

} // namespace

class TestResourceTracker : public QObject {
    Q_OBJECT

private:
    LeakSnapshot before_;

private Q_SLOTS:
    void initTestCase() {
        Process warm(getContext(StartMethod::Forkserver), &returnNothing);
        warm.start();
        warm.join(10.0);
    }
    void init() {
        ResourceTracker::instance().ensureRunning();
        before_ = LeakSnapshot::take();
    }
    void cleanup() {
        const std::string leaks = before_.leaksIn(LeakSnapshot::take());
        QVERIFY2(leaks.empty(), leaks.c_str());
    }
    void cleanupTestCase() {
        // The tracker must not outlive the test binary: stopping it reaps it.
        const pid_t tracker = ResourceTracker::instance().pid();
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        QVERIFY(!childPids().contains(tracker));
    }

    void messagesRoundTripAndRefuseBadNames() {
        using M = TrackerMessage;
        const M message(M::Command::Unregister, M::ResourceType::SharedMemory, "/fs_0123456789abcdef");
        auto decoded = M::decode(message.encode());
        QVERIFY(std::holds_alternative<M>(decoded));
        QCOMPARE(QString::fromStdString(std::get<M>(decoded).name()), QStringLiteral("/fs_0123456789abcdef"));
        QVERIFY(std::get<M>(decoded).command() == M::Command::Unregister);

        const std::string injection = "/fs_x\nUNREGISTER:/fs_victim:shared_memory";
        QVERIFY_THROWS_EXCEPTION(
            std::invalid_argument,
            (void)M(M::Command::Register, M::ResourceType::SharedMemory, injection).encode());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SharedMemory::create(64, injection));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ResourceTracker::instance().registerResource(
                                                            injection, M::ResourceType::SharedMemory));

        // A hand-made record carrying that name is refused by the tracker's decoder too.
        std::vector<std::uint8_t> record{'F', 'S', 'R', 'T',
                                         1,   1,   1,   static_cast<std::uint8_t>(injection.size())};
        record.insert(record.end(), injection.begin(), injection.end());
        auto refused = M::decode(record);
        QVERIFY(std::holds_alternative<std::string>(refused));
        QVERIFY2(std::get<std::string>(refused).find("newline") != std::string::npos,
                 std::get<std::string>(refused).c_str());
        record.push_back('!');
        QVERIFY(std::holds_alternative<std::string>(M::decode(record)));
        QVERIFY(std::holds_alternative<std::string>(M::decode(bytesOf("REGISTER:/fs_a:shared_memory\n"))));
    }

    void onlyTheCreatorRegisters_data() { addStartMethodRows(); }
    void onlyTheCreatorRegisters() {
        // An attaching fresh image never connects to a tracker; a fork child shares ours but
        // registers nothing. Either way its exit leaves the segment alone.
        SharedMemory shm = SharedMemory::create(64);
        TestPipe report;
        Process p = rowContext().process(&attachAndReport, {shm.name(), report.writeHandle()});
        p.start();
        const std::string seen = receiveText(report.read.get());
        QCOMPARE(QString::fromStdString(seen),
                 QString::fromLatin1(rowIsFork() ? "attached|shared tracker" : "attached|no tracker"));
        p.join(10.0);
        QVERIFY(existsInDevShm(shm.name()));
        // Still registered by us alone: stopping our tracker now is what removes it.
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        QVERIFY(!existsInDevShm(shm.name()));
    }

    void unlinkByAnAttachedChildUnregisters_data() { addStartMethodRows(); }
    void unlinkByAnAttachedChildUnregisters() {
        TestPipe errors;
        QVERIFY(restartTrackerWritingTo(errors));
        SharedMemory shm = SharedMemory::create(64);
        const std::string name = shm.name();

        TestPipe report;
        Process p = rowContext().process(&unlinkAttached, {shm, report.writeHandle()});
        p.start();
        QCOMPARE(receiveText(report.read.get()), std::string("unlinked"));
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        QVERIFY(!existsInDevShm(name));
        // The child took the registration back: at its end the tracker finds nothing leaked
        // (it used to report the name as leaked and fail to unlink it).
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        errors.write.reset();
        const std::string said = readAll(errors.read.get(), 10.0);
        QVERIFY2(said.find(name) == std::string::npos && said.find("leaked") == std::string::npos,
                 said.c_str());
        QVERIFY(throwsWith<OsError>([&] { shm.unlink(); }, "unlink")); // gone already: ENOENT
    }

    void cleansUpAfterParentKilledWithSigkill_data() { addStartMethodRows(); }
    void cleansUpAfterParentKilledWithSigkill() {
        // The middle process must be the only holder of its tracker's channel, as the top of a
        // program is: so our own tracker goes first, or a fork child would share it.
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        TestPipe report;
        TestPipe gate;
        TestPipe errors;
        Process middle = rowContext().process(
            &createThenHang, {report.writeHandle(), gate.readHandle(), errors.writeHandle()});
        middle.start();
        errors.write.reset();
        const std::string seen = receiveText(report.read.get());
        const auto bar = seen.find('|');
        QVERIFY2(bar != std::string::npos, seen.c_str());
        const std::string name = seen.substr(0, bar);
        const pid_t tracker = std::stoi(seen.substr(bar + 1));
        QVERIFY(tracker > 0);
        UniqueFd trackerPidfd = fdio::pidfdOpen(tracker);
        QVERIFY(existsInDevShm(name));

        middle.kill();
        middle.join(10.0);
        QCOMPARE(middle.exitCode(), std::optional<int>(-SIGKILL));
        // The tracker saw EOF (its last holder died), unlinked the segment and exited.
        QVERIFY2(fdio::waitFor(trackerPidfd.get(), POLLIN, 10.0), "the tracker did not finish");
        QVERIFY2(!existsInDevShm(name), name.c_str());
        const std::string said = readAll(errors.read.get(), 10.0);
        QVERIFY2(said.find("There appear to be 1 leaked shared_memory objects") != std::string::npos,
                 said.c_str());
        QVERIFY2(said.find("removed shared_memory '" + name + "'") != std::string::npos, said.c_str());
        QVERIFY(reap(tracker, 5.0)); // orphaned, it was re-parented to us (the subreaper)
    }

    void garbageDoesNotCrashTheTrackerNorStopCleanup() {
        const int channel = ResourceTracker::instance().fd();
        QVERIFY(channel >= 0);
        SharedMemory leaked = SharedMemory::create(64);
        const std::string victim = leaked.name();

        // Python's text protocol, as an injection attempt against the real segment.
        sendRaw(channel, bytesOf("UNREGISTER:" + victim + ":shared_memory\n"));
        sendRaw(channel, bytesOf("\nUNREGISTER " + victim + "\n"));
        sendRaw(channel, {});                                         // empty record (looks like EOF)
        sendRaw(channel, std::vector<std::uint8_t>(3000, 0xff));      // longer than any message
        sendRaw(channel, {'F', 'S', 'R', 'T'});                       // header cut short
        sendRaw(channel, {'F', 'S', 'R', 'T', 9, 2, 1, 1, 'x'});      // unknown version
        sendRaw(channel, {'F', 'S', 'R', 'T', 1, 7, 1, 2, '/', 'x'}); // unknown command
        sendRaw(channel, {'F', 'S', 'R', 'T', 1, 2, 9, 2, '/', 'x'}); // unknown type
        std::vector<std::uint8_t> lying{'F', 'S', 'R', 'T', 1, 2, 1, 200};
        lying.insert(lying.end(), victim.begin(), victim.end()); // declares 200 bytes, has fewer
        sendRaw(channel, lying);
        std::vector<std::uint8_t> slash{'F', 'S', 'R', 'T', 1, 1, 1, 12};
        for (char c : std::string("/../../etc/x")) {
            slash.push_back(static_cast<std::uint8_t>(c));
        }
        sendRaw(channel, slash); // a path outside /dev/shm must never be unlinked
        sendRaw(channel, TrackerMessage(TrackerMessage::Command::Unregister,
                                        TrackerMessage::ResourceType::SharedMemory, "/fs_never_registered")
                             .encode());
        std::uint64_t state = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 50; ++i) {
            std::vector<std::uint8_t> noise(1 + i * 7 % 300);
            for (auto& b : noise) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                b = static_cast<std::uint8_t>(state >> 56);
            }
            if (i % 5 == 0) {
                noise.resize(std::max<std::size_t>(noise.size(), 8));
                std::copy(TrackerMessage::kMagic.begin(), TrackerMessage::kMagic.end(), noise.begin());
            }
            sendRaw(channel, noise);
        }

        // Leak the segment on purpose: closing our end must still make the tracker remove it.
        leaked.close();
        const pid_t tracker = ResourceTracker::instance().pid();
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0)); // exited normally
        QVERIFY2(!existsInDevShm(victim), "the tracker stopped cleaning up after garbage");
        QVERIFY(!childPids().contains(tracker));
    }

    void killedTrackerIsRestarted() {
        SharedMemory first = SharedMemory::create(64);
        const pid_t killed = killOurTracker();
        QVERIFY(killed > 0);

        SharedMemory second = SharedMemory::create(64); // notices, reaps, restarts, re-registers
        const pid_t restarted = ResourceTracker::instance().pid();
        QVERIFY(restarted > 0 && restarted != killed);
        QVERIFY(!childPids().contains(killed)); // the dead one was reaped
        QVERIFY(existsInDevShm(first.name()) && existsInDevShm(second.name()));

        // Both are leaked on purpose: the new tracker must know the first one too.
        first.close();
        second.close();
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        QVERIFY2(!existsInDevShm(first.name()), "the restarted tracker was not told about the first segment");
        QVERIFY(!existsInDevShm(second.name()));
    }

    void trackerKilledAfterTheLastRegistrationIsRestartedAtStop() {
        // Nothing is registered after the kill, so only stop() (the exit) can notice it.
        SharedMemory leaked = SharedMemory::create(64);
        const pid_t killed = killOurTracker();
        QVERIFY(killed > 0);
        leaked.close();
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0)); // the new one's code
        QVERIFY2(!existsInDevShm(leaked.name()), "left behind by a tracker killed before the exit");
        QVERIFY(!childPids().contains(killed)); // the dead one was reaped too
    }

    void killedTrackerIsRestartedByAChildThatAdoptedIt_data() { addStartMethodRows(); }
    void killedTrackerIsRestartedByAChildThatAdoptedIt() {
        // The child has our channel (inherited under fork; under spawn and forkserver it arrives
        // with the SharedMemory argument and is adopted); we kill the tracker; the child's next
        // registration fails with EPIPE and it starts its own.
        SharedMemory shm = SharedMemory::create(64);
        TestPipe ready;
        TestPipe gate;
        TestPipe report;
        Process child = rowContext().process(
            &createAfterGate, {shm, ready.writeHandle(), gate.readHandle(), report.writeHandle()});
        child.start();
        char byte = 0;
        QVERIFY(fdio::readExact(ready.read.get(), &byte, 1, 10.0, "ready"));
        const pid_t killed = killOurTracker();
        QVERIFY(killed > 0);
        sendByte(gate.write.get());
        const std::string seen = receiveText(report.read.get());
        child.join(10.0);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
        const auto bar = seen.find('|');
        QCOMPARE(QString::fromStdString(seen.substr(0, bar)), QStringLiteral("adopted"));
        QVERIFY2(std::stoi(seen.substr(bar + 1)) > 0, seen.c_str()); // it started its own
        shm.unlink();
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0)); // reaps the killed one
    }

    void forkChildSharesTheParentsTracker() {
        TestPipe report;
        Process child(getContext(StartMethod::Fork), &createWithInheritedChannel, {report.writeHandle()});
        child.start();
        const std::string seen = receiveText(report.read.get());
        child.join(10.0);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
        const auto bar = seen.find('|');
        const std::string name = seen.substr(0, bar);
        QCOMPARE(QString::fromStdString(seen.substr(bar + 1)), QStringLiteral("0")); // started none
        // Registered with our tracker, which outlives the child: the segment is still there
        // and goes when the whole tree (here: we) lets go of the channel.
        QVERIFY(existsInDevShm(name));
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        QVERIFY(!existsInDevShm(name));
    }

    void semaphoresUseTheSameChannel() {
        TestPipe errors;
        QVERIFY(restartTrackerWritingTo(errors));
        const std::string name = "/fs_test_sem_" + std::to_string(::getpid());
        sem_t* semaphore = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0);
        QVERIFY(semaphore != SEM_FAILED);
        ::sem_close(semaphore);
        ResourceTracker::instance().registerResource(name, TrackerMessage::ResourceType::Semaphore);
        QVERIFY(std::filesystem::exists("/dev/shm/sem." + name.substr(1)));
        QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0));
        QVERIFY2(!std::filesystem::exists("/dev/shm/sem." + name.substr(1)),
                 "the semaphore was not unlinked");
        errors.write.reset();
        const std::string said = readAll(errors.read.get(), 10.0);
        QVERIFY2(said.find("1 leaked semaphore objects") != std::string::npos, said.c_str());
        QVERIFY2(said.find("removed semaphore '" + name + "'") != std::string::npos, said.c_str());
    }

    void normalExitStopsTheTrackerAndCleansUp_data() { addStartMethodRows(); }
    void normalExitStopsTheTrackerAndCleansUp() {
        if (rowIsFork()) {
            QCOMPARE(ResourceTracker::instance().stop(), std::optional<int>(0)); // so it starts its own
        }
        TestPipe report;
        Process p = rowContext().process(&createAndLeak, {report.writeHandle()});
        p.start();
        const std::string seen = receiveText(report.read.get());
        p.join(10.0);
        QCOMPARE(p.exitCode(), std::optional<int>(0));
        const auto bar = seen.find('|');
        const std::string name = seen.substr(0, bar);
        const pid_t tracker = std::stoi(seen.substr(bar + 1));
        QVERIFY(tracker > 0);
        // The child's exit hook closed its channel and reaped its tracker, which had removed
        // the segment the child forgot to unlink.
        QVERIFY2(waitForExit(tracker, 0.0), "a child's tracker outlived its normal exit");
        QVERIFY(!existsInDevShm(name));
    }
};

FORKSCOPE_TEST_MAIN(TestResourceTracker)
#include "tst_resource_tracker.moc"
