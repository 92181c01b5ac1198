// Pipe throughput: a child process streams messages to the parent over a duplex Pipe, against
// the same traffic as bare write/read calls on a raw socketpair, interleaved in the same run.
#include "bench.h"
#include "ipc/connection.h"
#include "ipc/pipe.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_io.h"

#include <chrono>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace forkscope::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kSmall = 64;
constexpr std::size_t kLarge = 1 << 20;

/// The engine's sender: says "ready" once its message is built, waits for "go", then sends
/// `count` messages of `size` bytes.
void pipeSenderTask(TaskArgs& args) {
    Connection& c = args.get<Connection>(0);
    const auto size = static_cast<std::size_t>(args.get<int>(1));
    const int count = args.get<int>(2);
    const std::vector<std::uint8_t> message(size, 0x5A);
    c.sendBytes(std::string_view("ready"));
    (void)c.recvBytes(std::nullopt, 30.0);
    for (int i = 0; i < count; ++i) {
        c.sendBytes(message);
    }
}
FORKSCOPE_TASK(pipeSenderTask);

/// Messages per second through Connection.sendBytes/recvBytes, child → parent, each receive
/// waiting up to `receiveTimeout`. Without one (Python's recv_bytes(), which has none) a receive
/// that finds the socket empty sleeps in recv(), as the raw limit's read() does; with one it must
/// poll() first (a socket has no per-call timeout), and in the middle of a 1 MiB message it
/// waits ~4 times: a failed recv and a poll each, on top of the raw reads.
double engineRate(std::size_t size, int count, fdio::Timeout receiveTimeout) {
    auto [mine, theirs] = makePipe(true);
    Process child =
        getContext(StartMethod::Fork).process(&pipeSenderTask, {theirs, static_cast<int>(size), count});
    child.start();
    theirs.close();
    // Small messages come back as new vectors (Python's recv_bytes); large ones land in one
    // reused buffer (recv_bytes_into), as the raw limit does: allocating and zeroing 1 MiB per
    // message would measure the allocator, not the pipe.
    std::size_t bytes = 0;
    std::vector<std::uint8_t> buffer(size);
    // The clock starts once the child is ready: its start-up (fork, the engine's bootstrap,
    // copy-on-write faults) is start latency, measured elsewhere, not throughput.
    (void)mine.recvBytes(std::nullopt, 30.0);
    const auto start = Clock::now();
    mine.sendBytes(std::string_view("go"));
    // A sender that fails or ends early closes its end: the receive throws EofError, not a hang.
    for (int i = 0; i < count; ++i) {
        bytes += size <= kSmall ? mine.recvBytes(std::nullopt, receiveTimeout).size()
                                : mine.recvBytesInto(buffer, 0, receiveTimeout);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    child.join(30.0);
    if (child.exitCode() != 0 || bytes != size * static_cast<std::size_t>(count)) {
        throw ProcessError("pipe benchmark child did not deliver its messages");
    }
    return count / seconds;
}

/// The limit: the same traffic as bare write()/read() of `size` bytes on a socketpair, with a
/// forked child writing, the parent reading exactly one message per read loop (blocking reads:
/// a poll before each would be the engine's cost, not the OS's).
double rawRate(std::size_t size, int count) {
    auto [parentEnd, childEnd] = fdio::makeSocketPair();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("fork for the raw pipe benchmark", errno);
    }
    if (pid == 0) {
        parentEnd.reset();
        const std::vector<char> message(size, 0x5A);
        const char ready = 'r';
        char go = 0;
        bool ok = ::write(childEnd.get(), &ready, 1) == 1 && ::read(childEnd.get(), &go, 1) == 1;
        for (int i = 0; ok && i < count; ++i) {
            std::size_t done = 0;
            while (ok && done < size) {
                const ssize_t n = ::write(childEnd.get(), message.data() + done, size - done);
                ok = n > 0 || (n < 0 && errno == EINTR);
                done += n > 0 ? static_cast<std::size_t>(n) : 0;
            }
        }
        ::_exit(ok ? 0 : 1);
    }
    childEnd.reset();
    std::vector<char> buffer(size);
    char ready = 0; // as the engine's: the clock starts when the child is ready
    if (!fdio::readExact(parentEnd.get(), &ready, 1, 30.0, "raw benchmark ready byte")) {
        throw OsError("raw pipe benchmark: the writer ended before it was ready", EPIPE);
    }
    const auto start = Clock::now();
    const char go = 'g';
    fdio::writeAll(parentEnd.get(), &go, 1, 30.0, "go byte");
    // No timeout: plain blocking reads, no poll before each (the writer exits or fails, so EOF
    // ends a broken run rather than a hang).
    for (int i = 0; i < count; ++i) {
        if (!fdio::readExact(parentEnd.get(), buffer.data(), size, std::nullopt, "raw benchmark message")) {
            throw OsError("raw pipe benchmark: the writer ended early", EPIPE);
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw ProcessError("raw pipe benchmark child failed");
    }
    return count / seconds;
}

} // namespace

std::vector<Figure> benchPipe(const BenchOptions& options) {
    const int small = static_cast<int>(scaled(100000, options.scale));
    const int large = static_cast<int>(scaled(1000, options.scale));
    const double largeBytes = static_cast<double>(kLarge);
    std::vector<Figure> figures;
    figures.push_back(measureInterleaved(
        makeFigure("pipe_small_msgs_per_s", "msgs/s",
                   "64-byte write()/read() on a raw socketpair, child to parent", false, 0.5),
        options, [&] { return engineRate(kSmall, small, std::nullopt); },
        [&] { return rawRate(kSmall, small); }));
    figures.push_back(measureInterleaved(
        makeFigure("pipe_large_bytes_per_s", "bytes/s",
                   "1 MiB write()/read() on a raw socketpair, child to parent", false, 0.8),
        options, [&] { return engineRate(kLarge, large, std::nullopt) * largeBytes; },
        [&] { return rawRate(kLarge, large) * largeBytes; }));
    // The same with a timeout on every receive, as the tests and the scenarios use it: what a
    // timeout costs (no target).
    figures.push_back(measureInterleaved(
        makeFigure("pipe_large_timed_bytes_per_s", "bytes/s",
                   "1 MiB write()/read() on a raw socketpair, child to parent (the Pipe's receives with a "
                   "30 s timeout; no target)",
                   false, 0.0),
        options, [&] { return engineRate(kLarge, large, 30.0) * largeBytes; },
        [&] { return rawRate(kLarge, large) * largeBytes; }));
    return figures;
}

} // namespace forkscope::cli
