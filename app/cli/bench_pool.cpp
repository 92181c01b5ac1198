// Pool throughput and latency against raw socketpair traffic between two processes, measured
// interleaved in the same run.
#include "bench.h"
#include "pool/pool.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/fd_io.h"
#include "process/unique_fd.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
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

/// What the parent sends the raw echo peer before each measurement.
struct EchoPlan {
    std::uint64_t count = 0;        ///< requests in this measurement
    std::uint64_t requestSize = 0;  ///< bytes per request
    std::uint64_t responseSize = 0; ///< bytes per response
};

/// The raw limits' peer: one process, forked once for the whole group and reused by every
/// measurement. A fork per measurement would write-protect every page of this process, and the
/// engine's next map would take a fault on each page it touches (hundreds for a 200 000-item
/// map, 11 µs each on a slow guest): the benchmark's own cost, charged to the pool.
class RawEchoPeer {
public:
    RawEchoPeer() {
        auto [mine, theirs] = fdio::makeSocketPair();
        pid_ = ::fork();
        if (pid_ < 0) {
            throw OsError("fork for the raw echo peer", errno);
        }
        if (pid_ == 0) {
            mine.reset();
            serve(theirs.get());
        }
        fd_ = std::move(mine);
    }
    RawEchoPeer(const RawEchoPeer&) = delete;
    RawEchoPeer& operator=(const RawEchoPeer&) = delete;
    ~RawEchoPeer() {
        // Not just EOF: the pool's workers, forked later, hold copies of this socket.
        fd_.reset();
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }

    /// Requests per second of a pipelined request/response exchange: up to `window` requests
    /// outstanding, as many bytes per system call as the socket takes.
    double pipelinedPerSecond(std::size_t count, std::size_t requestSize, std::size_t responseSize,
                              std::size_t window) {
        announce(count, requestSize, responseSize);
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
            pollfd pfd{fd_.get(), static_cast<short>(POLLIN | (canSend > 0 ? POLLOUT : 0)), 0};
            if (::poll(&pfd, 1, 10000) <= 0) {
                throw TimeoutError("raw pipelined exchange stalled");
            }
            if ((pfd.revents & POLLOUT) != 0 && canSend > 0) {
                const ssize_t w =
                    ::send(fd_.get(), request.data(), std::min(canSend, request.size()), MSG_DONTWAIT);
                if (w > 0) {
                    sentBytes += static_cast<std::size_t>(w);
                }
            }
            if ((pfd.revents & POLLIN) != 0) {
                const ssize_t r = ::recv(fd_.get(), in.data(), in.size(), MSG_DONTWAIT);
                if (r > 0) {
                    receivedBytes += static_cast<std::size_t>(r);
                }
            }
        }
        return static_cast<double>(count) / secondsSince(start);
    }

    /// Mean round trip of a 64-byte ping-pong, in microseconds.
    double pingPongUs(int count) {
        announce(static_cast<std::size_t>(count), 64, 64);
        char buffer[64] = {};
        const auto start = Clock::now();
        for (int i = 0; i < count; ++i) {
            fdio::writeAll(fd_.get(), buffer, sizeof buffer, 10.0, "ping");
            if (!fdio::readExact(fd_.get(), buffer, sizeof buffer, 10.0, "pong")) {
                throw ProcessError("raw ping-pong peer ended early");
            }
        }
        return secondsSince(start) * 1e6 / count;
    }

private:
    void announce(std::size_t count, std::size_t requestSize, std::size_t responseSize) {
        const EchoPlan plan{count, requestSize, responseSize};
        fdio::writeAll(fd_.get(), &plan, sizeof plan, 10.0, "echo plan");
    }

    /// The peer: for each plan, answers every complete request with a response, batching as
    /// the reads come, until the plan's count is answered; exits at EOF.
    [[noreturn]] static void serve(int fd) {
        std::vector<char> in(1 << 16);
        std::vector<char> out;
        EchoPlan plan;
        while (fdio::readExact(fd, &plan, sizeof plan, std::nullopt, "echo plan")) {
            std::size_t received = 0;
            std::size_t answered = 0;
            while (answered < plan.count) {
                const ssize_t n = ::read(fd, in.data(), in.size());
                if (n <= 0) {
                    if (n < 0 && errno == EINTR) {
                        continue;
                    }
                    ::_exit(n == 0 ? 0 : 1);
                }
                received += static_cast<std::size_t>(n);
                const std::size_t complete = received / plan.requestSize;
                out.assign((complete - answered) * plan.responseSize, 'r');
                answered = complete;
                fdio::writeAll(fd, out.data(), out.size(), std::nullopt, "echo");
            }
        }
        ::_exit(0);
    }

    UniqueFd fd_;
    pid_t pid_ = -1;
};

} // namespace

std::vector<Figure> benchPool(const BenchOptions& options) {
    const auto tasks = static_cast<std::size_t>(scaled(200000, options.scale));
    const auto roundTrips = static_cast<int>(scaled(2000, options.scale));
    std::vector<int> items(tasks);
    std::iota(items.begin(), items.end(), 0);
    RawEchoPeer peer; // before the pool: every fork of the group happens before any timing
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
        [&] { return peer.pipelinedPerSecond(tasks, kTaskFrame, kResultFrame, 256); }));

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
            return peer.pipelinedPerSecond((tasks + chunk - 1) / chunk, chunkRequest, chunkResponse, 2) *
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
        [&] { return peer.pingPongUs(roundTrips); }));
    return figures;
}

} // namespace forkscope::cli
