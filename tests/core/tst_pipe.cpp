// Pipe/Connection semantics (Python's multiprocessing.Pipe) under each start method, and the
// detection of frames that concurrent writers interleaved.
#include "engine_test.h"
#include "ipc/connection.h"
#include "ipc/ipc_errors.h"
#include "ipc/pipe.h"
#include "ipc/wait.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process/fd_io.h"
#include "process_test_support.h"
#include "test_main.h"
#include "throws_with.h"

#include <algorithm>
#include <cereal/types/vector.hpp>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace forkscope;
using namespace forkscope::test;

namespace {

struct Sample {
    int id = 0;
    std::string label;
    std::vector<double> values;
    template <class Archive> void serialize(Archive& ar) { ar(id, label, values); }
    friend bool operator==(const Sample&, const Sample&) = default;
};

constexpr double kWait = 10.0; ///< bound on every blocking call that should succeed
constexpr std::size_t kLarge = 1 << 20;

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> data(size);
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<std::uint8_t>(seed + i * 7u);
    }
    return data;
}

std::string text(const std::vector<std::uint8_t>& bytes) {
    return {bytes.begin(), bytes.end()};
}

/// Duplex echo: a Sample comes back changed, bytes come back reversed, then a string and a
/// vector, then the child closes its end.
void echoTask(TaskArgs& args) {
    Connection& c = args.get<Connection>(0);
    Sample sample = c.recv<Sample>(kWait);
    sample.id += 1;
    sample.label += " back";
    c.send(sample);
    std::vector<std::uint8_t> bytes = c.recvBytes(std::nullopt, kWait);
    std::reverse(bytes.begin(), bytes.end());
    c.sendBytes(bytes);
    c.send(std::string("from the child"));
    c.send(std::vector<int>{1, 2, 3});
    c.close();
}
FORKSCOPE_TASK(echoTask);

/// One-way: objects, a slice of a buffer, an empty message and one larger than a pipe.
void simplexWriterTask(TaskArgs& args) {
    Connection& out = args.get<Connection>(0);
    out.send(Sample{7, "seven", {0.5}});
    out.sendBytes(std::string_view("0123456789"), 2, 4);
    out.sendBytes(std::string_view());
    out.sendBytes(pattern(200 * 1024, 3));
}
FORKSCOPE_TASK(simplexWriterTask);

void returnAtOnce(TaskArgs&) {}
FORKSCOPE_TASK(returnAtOnce);

/// Exit 5 if sending on the (receive-only) end it was given is refused with a clear error.
void sendOnReadEnd(TaskArgs& args) {
    Connection& c = args.get<Connection>(0);
    if (!c.readable() || c.writable()) {
        exitProcess(7);
    }
    try {
        c.sendBytes(std::string_view("x"));
    } catch (const ProcessError& e) {
        exitProcess(std::string(e.what()).find("receive-only") != std::string::npos ? 5 : 6);
    }
}
FORKSCOPE_TASK(sendOnReadEnd);

/// Given one connection twice: closing one closes the other (copies share the fd). Exit 5.
void closeOneCopy(TaskArgs& args) {
    args.get<Connection>(0).close();
    exitProcess(args.get<Connection>(1).closed() ? 5 : 6);
}
FORKSCOPE_TASK(closeOneCopy);

/// On each byte of arg 1: first sends "x" on arg 0, then returns.
void sendOnGoThenExitOnGo(TaskArgs& args) {
    const int gate = args.get<FdHandle>(1).fd();
    awaitByte(gate);
    args.get<Connection>(0).sendBytes(std::string_view("x"));
    awaitByte(gate);
}
FORKSCOPE_TASK(sendOnGoThenExitOnGo);

/// Says ready (arg 1), waits for go (arg 2), then writes one message of `size` bytes of
/// `fill` to the shared end (arg 0).
void largeWriter(TaskArgs& args) {
    Connection& out = args.get<Connection>(0);
    const std::vector<std::uint8_t> message(static_cast<std::size_t>(args.get<int>(3)),
                                            static_cast<std::uint8_t>(args.get<int>(4)));
    sendByte(args.get<FdHandle>(1).fd());
    awaitByte(args.get<FdHandle>(2).fd());
    out.sendBytes(message);
}
FORKSCOPE_TASK(largeWriter);

/// Reads and discards until EOF (bounded): lets writers that interleaved finish.
bool drainUntilEof(int fd) {
    std::vector<char> sink(1 << 16);
    for (;;) {
        if (!fdio::waitFor(fd, POLLIN, kWait)) {
            return false;
        }
        const ssize_t n = ::read(fd, sink.data(), sink.size());
        if (n == 0) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            return false;
        }
    }
}

/// The smallest buffer the kernel allows (one page), so that each writer blocks after every
/// page and the scheduler gets a chance to run the other one in between.
void shrinkBuffer(const Connection& writer) {
    if (writer.readable()) { // a socketpair end
        const int size = 4096;
        QVERIFY(::setsockopt(writer.fileno(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
    } else {
        QVERIFY(::fcntl(writer.fileno(), F_SETPIPE_SZ, 4096) >= 0);
    }
}

} // namespace

class TestPipeConnection : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        // The forkserver is a long-lived helper of this program; start it before the baseline.
        Process warm(getContext(StartMethod::Forkserver), &returnAtOnce);
        warm.start();
        warm.join(kWait);
    }

    void duplexAcrossChild_data() { addStartMethodRows(); }
    void duplexAcrossChild() {
        auto [mine, theirs] = makePipe(true);
        QVERIFY(mine.readable() && mine.writable() && theirs.readable() && theirs.writable());
        Process child = rowContext().process(&echoTask, {theirs});
        child.start();
        theirs.close(); // ours: the child has its own now (or, under fork, its own copy)

        const Sample sent{41, "there", {1.5, -2.25}};
        mine.send(sent);
        QCOMPARE(mine.recv<Sample>(kWait), (Sample{42, "there back", {1.5, -2.25}}));
        const std::string buffer = "..abcde...";
        mine.sendBytes(std::as_bytes(std::span(buffer)), 2, 5);
        QCOMPARE(text(mine.recvBytes(std::nullopt, kWait)), std::string("edcba"));
        QCOMPARE(mine.recv<std::string>(kWait), std::string("from the child"));
        QCOMPARE(mine.recv<std::vector<int>>(kWait), (std::vector<int>{1, 2, 3}));
        QVERIFY(throwsWith<EofError>([&] { (void)mine.recvBytes(std::nullopt, kWait); }, "peer closed"));
        child.join(kWait);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
    }

    void simplexAcrossChild_data() { addStartMethodRows(); }
    void simplexAcrossChild() {
        auto [in, out] = makePipe(false);
        QVERIFY(in.readable() && !in.writable());
        QVERIFY(!out.readable() && out.writable());
        Process child = rowContext().process(&simplexWriterTask, {out});
        child.start();
        out.close();

        QCOMPARE(in.recv<Sample>(kWait), (Sample{7, "seven", {0.5}}));
        QCOMPARE(text(in.recvBytes(std::nullopt, kWait)), std::string("2345"));
        std::vector<std::uint8_t> buffer(16, 0xEE);
        QCOMPARE(in.recvBytesInto(buffer, 4, kWait), std::size_t{0});
        QCOMPARE(buffer, std::vector<std::uint8_t>(16, 0xEE));
        try {
            (void)in.recvBytesInto(buffer, 4, kWait);
            QFAIL("a 200 KiB message fitted in 12 bytes");
        } catch (const BufferTooShortError& e) {
            QCOMPARE(e.message(), pattern(200 * 1024, 3)); // delivered whole anyway, as in Python
        }
        QVERIFY(throwsWith<EofError>([&] { (void)in.recv<Sample>(kWait); }, "no more messages"));
        child.join(kWait);
        QCOMPARE(child.exitCode(), std::optional<int>(0));
    }

    void recvBytesIntoOffset() {
        auto [a, b] = makePipe(true);
        a.sendBytes(std::string_view("abc"));
        std::vector<std::uint8_t> buffer(6, '.');
        QCOMPARE(b.recvBytesInto(buffer, 3, kWait), std::size_t{3});
        QCOMPARE(text(buffer), std::string("...abc"));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, (void)b.recvBytesInto(buffer, 7, 0.0));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, a.sendBytes(std::string_view("abc"), 2, 2));
    }

    void readExactWithoutTimeout() {
        // Without a timeout readExact reads without polling first; on a non-blocking fd it
        // must still wait for the rest (poll on EAGAIN), not fail or spin.
        auto [readEnd, writeEnd] = fdio::makePipe();
        QCOMPARE(::fcntl(readEnd.get(), F_SETFL, O_NONBLOCK), 0);
        fdio::writeAll(writeEnd.get(), "abcd", 4, kWait, "first half");
        std::thread writer([fd = writeEnd.get()] { fdio::writeAll(fd, "efgh", 4, kWait, "second half"); });
        char got[8] = {};
        const bool read = fdio::readExact(readEnd.get(), got, sizeof got, std::nullopt, "eight bytes");
        writer.join();
        QVERIFY(read);
        QCOMPARE(std::string(got, sizeof got), std::string("abcdefgh"));
        writeEnd.reset();
        QVERIFY(!fdio::readExact(readEnd.get(), got, 1, std::nullopt, "after EOF")); // EOF: false
    }

    void pollAndRecvTimeout() {
        for (bool duplex : {true, false}) {
            auto [reader, writer] = makePipe(duplex);
            QVERIFY(!reader.poll());
            QVERIFY(!reader.poll(0.02));
            QVERIFY(
                throwsWith<TimeoutError>([&] { (void)reader.recvBytes(std::nullopt, 0.02); }, "no message"));
            QVERIFY(reader.readable()); // a timeout before a message starts leaves the end usable
            writer.send(123);
            QVERIFY(reader.poll(kWait));
            QCOMPARE(reader.recv<int>(0.0), 123);
            QVERIFY(!reader.poll(0.0));
        }
    }

    void eofOnPeerClose() {
        for (bool duplex : {true, false}) {
            auto [reader, writer] = makePipe(duplex);
            writer.sendBytes(std::string_view("last"));
            writer.close();
            QVERIFY(reader.poll(0.0)); // EOF counts as ready, as in Python
            QCOMPARE(text(reader.recvBytes()), std::string("last"));
            // No timeout given: must raise, not block.
            QVERIFY(throwsWith<EofError>([&] { (void)reader.recvBytes(); }, "closed"));
            QVERIFY(throwsWith<EofError>([&] { (void)reader.recv<int>(); }, "closed"));
        }
    }

    void eofMidMessage() {
        // A writer that dies in the middle of a frame: the reader learns it, never hangs —
        // waiting without a timeout, and with one (a socket is then read with MSG_DONTWAIT).
        for (bool duplex : {true, false}) {
            for (fdio::Timeout timeout : {fdio::Timeout{}, fdio::Timeout{kWait}}) {
                auto [reader, writer] = makePipe(duplex);
                const auto frame = FrameCodec().encode(pattern(1000, 1));
                fdio::writeAll(writer.fileno(), frame.data(), 500, kWait, "half a frame");
                writer.close();
                QVERIFY(throwsWith<EofError>([&] { (void)reader.recvBytes(std::nullopt, timeout); },
                                             "middle of a message"));
                QVERIFY(!reader.readable());
            }
        }
    }

    void timeoutMidFrame() {
        // A timeout after part of a frame arrived leaves the stream out of step: said, and final.
        // In the header (10 bytes) and in the payload (100 bytes), on a pipe and a socket.
        for (bool duplex : {true, false}) {
            for (std::size_t sent : {std::size_t{10}, std::size_t{100}}) {
                auto [reader, writer] = makePipe(duplex);
                const auto frame = FrameCodec().encode(pattern(1000, 1));
                fdio::writeAll(writer.fileno(), frame.data(), sent, kWait, "part of a frame");
                QVERIFY(throwsWith<TimeoutError>([&] { (void)reader.recvBytes(std::nullopt, 0.05); },
                                                 "after " + std::to_string(sent) + " of"));
                QVERIFY(!reader.readable());
                QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)reader.recvBytes(std::nullopt, 0.0); },
                                                        "given up"));
            }
        }
    }

    void eofOnPeerExit_data() { addStartMethodRows(); }
    void eofOnPeerExit() {
        for (bool duplex : {true, false}) {
            auto [reader, writer] = makePipe(duplex);
            Process child = rowContext().process(&returnAtOnce, {writer});
            child.start();
            writer.close();
            QVERIFY(throwsWith<EofError>([&] { (void)reader.recvBytes(std::nullopt, kWait); }, "closed"));
            child.join(kWait);
            QCOMPARE(child.exitCode(), std::optional<int>(0));
        }
    }

    void brokenPipeIsAnError() {
        // The reader is gone: the writer gets EPIPE as an exception; SIGPIPE does not kill it.
        for (bool duplex : {true, false}) {
            auto [reader, writer] = makePipe(duplex);
            reader.close();
            for (std::size_t size : {std::size_t{10}, kLarge}) {
                try {
                    writer.sendBytes(pattern(size, 0));
                    QFAIL("sending to a closed reader succeeded");
                } catch (const OsError& e) {
                    QCOMPARE(e.code(), EPIPE);
                    QVERIFY(std::string(e.what()).find("peer closed") != std::string::npos);
                }
            }
        }
    }

    void wrongDirection() {
        auto [in, out] = makePipe(false);
        QVERIFY(throwsWith<ProcessError>([&] { in.send(1); }, "receive-only"));
        QVERIFY(throwsWith<ProcessError>([&] { in.sendBytes(std::string_view("x")); }, "receive-only"));
        QVERIFY(throwsWith<ProcessError>([&] { (void)out.recv<int>(0.0); }, "send-only"));
        QVERIFY(throwsWith<ProcessError>([&] { (void)out.recvBytes(); }, "send-only"));
        QVERIFY(throwsWith<ProcessError>([&] { (void)out.poll(); }, "send-only"));
    }

    void wrongDirectionInChild_data() { addStartMethodRows(); }
    void wrongDirectionInChild() {
        auto [in, out] = makePipe(false);
        Process child = rowContext().process(&sendOnReadEnd, {in});
        child.start();
        child.join(kWait);
        QCOMPARE(child.exitCode(), std::optional<int>(5));
    }

    void copiesShareTheFd_data() { addStartMethodRows(); }
    void copiesShareTheFd() {
        auto [a, b] = makePipe(true);
        Connection copy = a;
        QCOMPARE(copy.fileno(), a.fileno());
        QVERIFY(copy == a);
        copy.close();
        QVERIFY(a.closed());
        QVERIFY(throwsWith<ProcessError>([&] { (void)a.recvBytes(); }, "closed connection"));
        QVERIFY(throwsWith<ProcessError>([&] { (void)a.fileno(); }, "closed connection"));
        a.close(); // idempotent

        // In a child, two arguments naming one end are still copies of one handle.
        Process child = rowContext().process(&closeOneCopy, {b, b});
        child.start();
        child.join(kWait);
        QCOMPARE(child.exitCode(), std::optional<int>(5));
    }

    void closedConnectionCannotTravel() {
        auto [a, b] = makePipe(true);
        b.close();
        Process child = getContext(StartMethod::Spawn).process(&returnAtOnce, {b});
        QVERIFY(throwsWith<SerializationError>([&] { child.start(); }, "closed connection"));
    }

    void typeMismatchAndBadLength() {
        auto [a, b] = makePipe(true);
        a.send(42);
        QVERIFY(throwsWith<SerializationError>([&] { (void)b.recv<std::string>(kWait); }, "another type"));
        a.sendBytes(std::string_view("twenty bytes, really"));
        try {
            (void)b.recvBytes(10, kWait);
            QFAIL("a 20-byte message was accepted with maxLength 10");
        } catch (const OsError& e) {
            QCOMPARE(e.code(), EMSGSIZE);
        }
        QVERIFY(!b.readable()); // the stream is out of step now, as in Python
        QVERIFY(b.writable());
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)b.recvBytes(); }, "given up"));
    }

    void configurableLimit() {
        auto [a, b] = makePipe(true);
        a.setMaxMessageSize(16);
        QCOMPARE(a.maxMessageSize(), std::uint64_t{16});
        QVERIFY_THROWS_EXCEPTION(std::length_error, a.sendBytes(pattern(17, 0)));
        b.sendBytes(pattern(17, 0)); // b may send it, but a refuses to receive it
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)a.recvBytes(std::nullopt, kWait); }, "limit"));
    }

    void garbageIsCorruption() {
        auto [in, out] = makePipe(false);
        const std::string junk(64, 'j');
        fdio::writeAll(out.fileno(), junk.data(), junk.size(), kWait, "junk");
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)in.recvBytes(std::nullopt, kWait); }, "magic"));
    }

    void observableState() {
        auto [in, out] = makePipe(false);
        QCOMPARE(in.capacity(), static_cast<std::size_t>(::fcntl(in.fileno(), F_GETPIPE_SZ)));
        QVERIFY(out.capacity() >= 4096);
        QCOMPARE(in.bytesUnread(), std::size_t{0});
        out.sendBytes(pattern(100, 0));
        QCOMPARE(in.bytesUnread(), FrameCodec::kHeaderSize + 100);
        QCOMPARE(out.bytesUnread(), FrameCodec::kHeaderSize + 100); // the fill of the pipe
        (void)in.recvBytes();
        QCOMPARE(in.bytesUnread(), std::size_t{0});

        auto [a, b] = makePipe(true);
        QVERIFY(a.capacity() > 0 && b.capacity() > 0);
        a.sendBytes(pattern(100, 0));
        QCOMPARE(b.bytesUnread(), FrameCodec::kHeaderSize + 100);
        QCOMPARE(a.bytesUnread(), std::size_t{0});
    }

    void waitOnConnectionsAndProcesses_data() { addStartMethodRows(); }
    void waitOnConnectionsAndProcesses() {
        Context ctx = rowContext();
        auto [mine, theirs] = makePipe(true);
        forkscope::test::TestPipe gate1;
        forkscope::test::TestPipe gate2;
        Process sender = ctx.process(&sendOnGoThenExitOnGo, {theirs, gate1.readHandle()});
        sender.start();
        theirs.close();
        auto [idleIn, idleOut] = makePipe(false);
        Process waiter = ctx.process(&sendOnGoThenExitOnGo, {idleOut, gate2.readHandle()});
        waiter.start();
        idleOut.close();

        QVERIFY(wait({mine, sender, waiter}, 0.0).empty());
        QVERIFY(wait({mine, sender, waiter}, 0.02).empty());

        sendByte(gate1.write.get()); // sender: send "x"
        auto ready = wait({mine, sender, waiter}, kWait);
        QCOMPARE(ready.size(), std::size_t{1});
        QVERIFY(std::get<Connection>(ready[0]) == mine);
        QCOMPARE(text(mine.recvBytes(std::nullopt, kWait)), std::string("x"));

        sendByte(gate2.write.get()); // waiter: send "x" on the idle pipe
        sendByte(gate2.write.get()); // ... and exit
        // Not joined first: wait() itself must sleep until the process ends and wake then.
        ready = wait({mine, sender, waiter}, kWait);
        QCOMPARE(ready.size(), std::size_t{1});
        QVERIFY(std::get<Process>(ready[0]) == waiter);
        waiter.join(kWait);
        QCOMPARE(wait({mine, idleIn}, kWait).size(), std::size_t{1});

        sendByte(gate1.write.get()); // sender exits: its process and our end (EOF) are ready
        ready = wait({sender}, kWait);
        QCOMPARE(ready.size(), std::size_t{1});
        QVERIFY(std::get<Process>(ready[0]) == sender);
        sender.join(kWait);
        // EOF comes once every copy of the peer's end is closed; under forkserver the server
        // drops its passing copy on its own schedule, so wait for it rather than assume it.
        QVERIFY(mine.poll(kWait));
        ready = wait({mine, sender, waiter}, 0.0);
        QCOMPARE(ready.size(), std::size_t{3});
        QVERIFY(throwsWith<EofError>([&] { (void)mine.recvBytes(); }, "closed"));

        mine.close();
        QVERIFY(throwsWith<ProcessError>([&] { (void)wait({mine}, 0.0); }, "closed connection"));
    }

    /// Two children write 1 MiB messages to the same end at the same moment. A pipe only
    /// writes PIPE_BUF bytes atomically, so the frames interleave: the reader must say so
    /// (FrameCorruptedError) rather than deliver garbage. Rounds repeat (bounded) in case the
    /// scheduler happened to serialise the two writers; one corrupted round is enough.
    void concurrentLargeWritersAreDetected_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<bool>("duplex");
        for (const char* method : {"fork", "spawn", "forkserver"}) {
            QTest::newRow((std::string(method) + "/pipe").c_str()) << QString::fromLatin1(method) << false;
            QTest::newRow((std::string(method) + "/socketpair").c_str())
                << QString::fromLatin1(method) << true;
        }
    }
    void concurrentLargeWritersAreDetected() {
        QFETCH(bool, duplex);
        Context ctx = rowContext();
        constexpr int kMaxRounds = 40;
        int corruptedRounds = 0;
        int round = 0;
        for (; round < kMaxRounds && corruptedRounds == 0; ++round) {
            auto [reader, writer] = makePipe(duplex);
            shrinkBuffer(writer);
            forkscope::test::TestPipe ready;
            forkscope::test::TestPipe go;
            Process a = ctx.process(&largeWriter, {writer, ready.writeHandle(), go.readHandle(),
                                                   static_cast<int>(kLarge), int{'A'}});
            Process b = ctx.process(&largeWriter, {writer, ready.writeHandle(), go.readHandle(),
                                                   static_cast<int>(kLarge), int{'B'}});
            a.start();
            b.start();
            writer.close();
            char readyBytes[2];
            QVERIFY(fdio::readExact(ready.read.get(), readyBytes, 2, kWait, "ready bytes"));
            const char goBytes[2] = {'g', 'g'};
            fdio::writeAll(go.write.get(), goBytes, 2, kWait, "go bytes"); // both start at once

            int clean = 0;
            try {
                for (; clean < 2; ++clean) {
                    const auto message = reader.recvBytes(std::nullopt, kWait);
                    // A frame that passes the checksum must be one writer's, whole.
                    QCOMPARE(message.size(), kLarge);
                    QVERIFY(
                        std::all_of(message.begin(), message.end(), [&](auto c) { return c == message[0]; }));
                }
            } catch (const FrameCorruptedError& e) {
                ++corruptedRounds;
                const std::string what = e.what();
                QVERIFY2(what.find("expected") != std::string::npos || what.find("says") != std::string::npos,
                         what.c_str());
                qInfo("reader said: %s", what.c_str());
                QVERIFY(!reader.readable());
                QVERIFY(drainUntilEof(reader.fileno())); // lets both writers finish
            }
            a.join(kWait);
            b.join(kWait);
            QCOMPARE(a.exitCode(), std::optional<int>(0));
            QCOMPARE(b.exitCode(), std::optional<int>(0));
        }
        qInfo("first corrupted frame seen in round %d of at most %d", round, kMaxRounds);
        QVERIFY2(corruptedRounds > 0, "two concurrent 1 MiB writers never interleaved");
    }
};

FORKSCOPE_TEST_MAIN(TestPipeConnection)
#include "tst_pipe.moc"
