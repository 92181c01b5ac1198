// Pool throughput and latency against raw socketpair traffic between two processes, measured
// interleaved in the same run.
#include "bench.h"
#include "pool/pool.h"
#include "process/context.h"
#include "process/errors.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <numeric>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace forkscope::cli {

namespace {

int trivialTask(const int& x) {
    return x;
}
FORKSCOPE_POOL_TASK(trivialTask);

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The sizes of the pool's own frames for one int task (u32 length + kind + seq + function id +
// count + the int) and its result (u32 length + kind + seq + status + the int), so the raw
// limit moves exactly the same bytes.
constexpr std::size_t kTaskFrame = 4 + 1 + 8 + 8 + 4 + 4;
constexpr std::size_t kResultFrame = 4 + 1 + 8 + 1 + 4;

/// A raw echo peer: answers every complete request of `requestSize` bytes with `responseSize`
/// bytes, batching as the reads come. Runs in a forked child.
[[noreturn]] void rawEchoChild(int fd, std::size_t requestSize, std::size_t responseSize) {
    std::vector<char> in(1 << 16);
    std::vector<char> out;
    std::size_t received = 0;
    std::size_t answered = 0;
    for (;;) {
        const ssize_t n = ::read(fd, in.data(), in.size());
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            ::_exit(0);
        }
        received += static_cast<std::size_t>(n);
        const std::size_t complete = received / requestSize;
        out.assign((complete - answered) * responseSize, 'r');
        answered = complete;
        std::size_t sent = 0;
        while (sent < out.size()) {
            const ssize_t w = ::write(fd, out.data() + sent, out.size() - sent);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                ::_exit(1);
            }
            sent += static_cast<std::size_t>(w);
        }
    }
}

/// Requests per second of a raw pipelined request/response exchange with another process: up
/// to `window` requests outstanding, as many bytes per system call as the socket takes.
double rawPipelinedPerSecond(std::size_t count, std::size_t requestSize, std::size_t responseSize,
                             std::size_t window) {
    auto [mine, theirs] = fdio::makeSocketPair();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("fork for the raw echo peer", errno);
    }
    if (pid == 0) {
        mine.reset();
        rawEchoChild(theirs.get(), requestSize, responseSize);
    }
    theirs.reset();
    std::vector<char> request(requestSize * window, 'q');
    std::vector<char> in(1 << 16);
    std::size_t sentBytes = 0;
    std::size_t receivedBytes = 0;
    const std::size_t totalOut = count * requestSize;
    const std::size_t totalIn = count * responseSize;
    const auto start = Clock::now();
    while (receivedBytes < totalIn) {
        const std::size_t outstanding = sentBytes / requestSize - receivedBytes / responseSize;
        const std::size_t canSend =
            std::min((window - std::min(window, outstanding)) * requestSize, totalOut - sentBytes);
        pollfd pfd{mine.get(), static_cast<short>(POLLIN | (canSend > 0 ? POLLOUT : 0)), 0};
        if (::poll(&pfd, 1, 10000) <= 0) {
            throw TimeoutError("raw pipelined exchange stalled");
        }
        if ((pfd.revents & POLLOUT) != 0 && canSend > 0) {
            const ssize_t w =
                ::send(mine.get(), request.data(), std::min(canSend, request.size()), MSG_DONTWAIT);
            if (w > 0) {
                sentBytes += static_cast<std::size_t>(w);
            }
        }
        if ((pfd.revents & POLLIN) != 0) {
            const ssize_t r = ::recv(mine.get(), in.data(), in.size(), MSG_DONTWAIT);
            if (r > 0) {
                receivedBytes += static_cast<std::size_t>(r);
            }
        }
    }
    const double elapsed = secondsSince(start);
    mine.reset();
    int status = 0;
    ::waitpid(pid, &status, 0);
    return static_cast<double>(count) / elapsed;
}

/// Mean round trip of a 64-byte ping-pong with another process, in microseconds.
double rawPingPongUs(int count) {
    auto [mine, theirs] = fdio::makeSocketPair();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("fork for the raw ping-pong peer", errno);
    }
    char buffer[64] = {};
    if (pid == 0) {
        mine.reset();
        while (fdio::readExact(theirs.get(), buffer, sizeof buffer, std::nullopt, "ping")) {
            fdio::writeAll(theirs.get(), buffer, sizeof buffer, std::nullopt, "pong");
        }
        ::_exit(0);
    }
    theirs.reset();
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        fdio::writeAll(mine.get(), buffer, sizeof buffer, 10.0, "ping");
        fdio::readExact(mine.get(), buffer, sizeof buffer, 10.0, "pong");
    }
    const double us = secondsSince(start) * 1e6 / count;
    mine.reset();
    int status = 0;
    ::waitpid(pid, &status, 0);
    return us;
}

} // namespace

std::vector<Figure> benchPool(const BenchOptions& options) {
    const auto tasks = static_cast<std::size_t>(scaled(200000, options.scale));
    const auto roundTrips = static_cast<int>(scaled(2000, options.scale));
    std::vector<int> items(tasks);
    std::iota(items.begin(), items.end(), 0);
    Pool pool(2, std::nullopt, {}, std::nullopt, getContext(StartMethod::Fork));
    std::vector<Figure> figures;

    auto mapPerSecond = [&](std::optional<std::size_t> chunksize) {
        const auto start = Clock::now();
        const std::vector<int> results = pool.map(&trivialTask, items, chunksize);
        const double perSecond = static_cast<double>(results.size()) / secondsSince(start);
        if (results.size() != items.size() || results.back() != items.back()) {
            throw ProcessError("pool benchmark: wrong results");
        }
        return perSecond;
    };

    figures.push_back(measureInterleaved(
        makeFigure("pool_tasks_per_s", "tasks/s",
                   "raw pipelined request/response over a socketpair to one other process, same frame sizes, "
                   "moving bytes only (no ratio target; the target is 10x Python's Pool at chunksize 1)",
                   false, 0),
        options, [&] { return mapPerSecond(1); },
        [&] { return rawPipelinedPerSecond(tasks, kTaskFrame, kResultFrame, 256); }));

    // Default chunksize: 8 chunks of 25000 ints. The raw limit moves the same chunk frames.
    const std::size_t chunk = detail::defaultChunksize(tasks, pool.size());
    const std::size_t chunkRequest = kTaskFrame - 4 + chunk * 4;
    const std::size_t chunkResponse = kResultFrame - 4 + chunk * 4;
    figures.push_back(measureInterleaved(
        makeFigure("pool_map_tasks_per_s", "tasks/s",
                   "raw pipelined exchange of the same chunk frames over a socketpair to one other process, "
                   "moving bytes only (no ratio target; the target is 3x Python's default-chunksize map)",
                   false, 0),
        options, [&] { return mapPerSecond(std::nullopt); },
        [&] {
            return rawPipelinedPerSecond((tasks + chunk - 1) / chunk, chunkRequest, chunkResponse, 2) *
                   static_cast<double>(chunk);
        }));

    figures.push_back(measureInterleaved(
        makeFigure("pool_apply_roundtrip_us", "us",
                   "raw 64-byte ping-pong over a socketpair between two processes", true, 1.5),
        options,
        [&] {
            const auto start = Clock::now();
            for (int i = 0; i < roundTrips; ++i) {
                if (pool.apply(&trivialTask, i) != i) {
                    throw ProcessError("pool benchmark: wrong apply result");
                }
            }
            return secondsSince(start) * 1e6 / roundTrips;
        },
        [&] { return rawPingPongUs(roundTrips); }));
    return figures;
}

} // namespace forkscope::cli
