#pragma once

#include "pool_job.h"
#include "pool_stats.h"
#include "process/context.h"
#include "process/fd_io.h"
#include "process/unique_fd.h"
#include "worker_channel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <string>
#include <thread>
#include <vector>

namespace forkscope::detail {

struct PoolConfig {
    std::size_t processes = 1;
    std::optional<Target> initializer;
    Args initargs;
    std::uint64_t maxTasksPerChild = 0;
    Context context{StartMethod::Fork};
    WorkerDeathPolicy deathPolicy = WorkerDeathPolicy::Broken;
};

/// The engine behind Pool: its workers, its queue and its event loop.
///
/// Threads: whoever waits for a result (get(), map(), an imap iterator, join()) *drives* the
/// pool itself: it polls the workers' sockets and sentinels and handles what arrives, so an
/// apply() round trip has no thread hop. When nobody waits, a background thread drives
/// instead (callbacks, deaths, replacements), and when the pool is idle that thread only
/// watches the sentinels. One driver at a time (driving_); the worker list changes only
/// under the driver role, so the fds a driver polls without the lock stay valid.
class PoolCore {
public:
    explicit PoolCore(PoolConfig config);
    ~PoolCore();
    PoolCore(const PoolCore&) = delete;
    PoolCore& operator=(const PoolCore&) = delete;

    /// Refuses a call from any process but the one that created the pool.
    void checkOwner(const char* operation) const;
    [[nodiscard]] bool isOwner() const noexcept;
    [[nodiscard]] StartMethod startMethod() const noexcept { return config_.context.startMethod(); }
    [[nodiscard]] std::size_t size() const noexcept { return config_.processes; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::uint64_t nextJobId() noexcept { return ++jobCounter_; }

    /// Queues a job and sends what the workers' windows take. `callerWaits`: the caller is about
    /// to wait for it (apply, map), so the background thread need not be woken.
    void submit(const std::shared_ptr<PoolJob>& job, bool callerWaits = false);
    /// Waits until done() holds (evaluated under the pool's lock), driving the pool meanwhile.
    /// Returns false at the timeout; throws KeyboardInterrupt after interrupt().
    bool waitUntil(const std::function<bool()>& done, fdio::Timeout timeout);
    /// Runs fn under the pool's lock.
    template <class F> decltype(auto) locked(F&& fn) const {
        std::lock_guard lock(mutex_);
        return fn();
    }

    void close();
    void terminate() noexcept;
    bool join(fdio::Timeout timeout);
    /// Async-signal-safe: makes the current and the next wait throw KeyboardInterrupt.
    void interrupt() noexcept;
    [[nodiscard]] PoolStats stats() const;

private:
    using Clock = std::chrono::steady_clock;
    using Deadline = std::optional<Clock::time_point>;

    struct InFlight {
        std::shared_ptr<PoolJob> job;
        std::size_t chunk = 0;
        std::uint64_t seq = 0;
        Clock::time_point sentAt;
    };
    struct ChunkRef {
        std::shared_ptr<PoolJob> job;
        std::size_t chunk = 0;
    };
    struct Worker {
        explicit Worker(Process p) : process(std::move(p)) {}
        Process process;
        std::uint64_t id = 0;           ///< epoll tag: id * 2 (socket) and id * 2 + 1 (sentinel)
        std::uint32_t socketEvents = 0; ///< what epoll watches on the socket now
        UniqueFd socket;
        std::unique_ptr<WorkerChannel> channel;
        std::string name;
        pid_t pid = 0;
        int sentinel = -1;
        std::deque<InFlight> inflight;
        std::uint64_t dispatched = 0;
        std::uint64_t done = 0;
        Clock::time_point lastResult;
        bool stopSent = false;
        bool eof = false;    ///< the channel reached end of stream (the worker is exiting)
        bool exited = false; ///< reaped; removed by the next maintain()
    };

    // pool_core.cpp: lifecycle, waiting, driving
    void driveOnce(std::unique_lock<std::mutex>& lock, Deadline deadline);
    void backgroundLoop();
    void watchSentinels(std::unique_lock<std::mutex>& lock);
    /// Takes the driver role for a teardown; false if this thread already holds it.
    bool acquireDriving(std::unique_lock<std::mutex>& lock);
    void runCompletions(std::unique_lock<std::mutex>& lock);
    void wake(int fd) const noexcept;
    void stopBackground(std::unique_lock<std::mutex>& lock);
    [[nodiscard]] bool backgroundHasWork() const;

    // pool_core_workers.cpp: workers, dispatch, results, deaths
    void startWorker();
    void maintain();
    void dispatch();
    void sendChunk(Worker& worker, const std::shared_ptr<PoolJob>& job, std::size_t chunk);
    void readWorker(Worker& worker);
    void handleFrame(Worker& worker, std::span<const std::uint8_t> frame);
    void handleExit(Worker& worker);
    void breakPool(const Worker& worker, int exitCode);
    void finishJob(const std::shared_ptr<PoolJob>& job, std::exception_ptr error);
    void failAllJobs(const std::exception_ptr& error, bool withCallbacks);
    [[nodiscard]] bool shouldReplaceWorkers() const;
    [[nodiscard]] std::size_t window() const;
    void updateInterest(Worker& worker);
    void unwatch(Worker& worker);
    [[nodiscard]] Worker* findWorker(std::uint64_t id) const;

    PoolConfig config_;
    std::string name_;
    const pid_t creatorPid_;
    /// The pool's trace object id (kind Pool, capacity = processes); workers get it in their
    /// configuration and emit PoolTaskStarted/Finished with it.
    const std::uint64_t traceId_;
    std::atomic<std::uint64_t> jobCounter_{0};

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    PoolState state_ = PoolState::Running;
    std::string brokenMessage_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::deque<std::shared_ptr<PoolJob>> queue_;        ///< jobs with chunks not yet dispatched
    std::deque<ChunkRef> requeued_;                     ///< chunks a dead worker had not started
    std::vector<std::shared_ptr<PoolJob>> active_;      ///< unfinished jobs
    std::vector<std::shared_ptr<PoolJob>> completions_; ///< finished, callbacks to run
    std::uint64_t chunkSeq_ = 0;
    double chunkSeconds_ = -1; ///< moving average of a chunk's service time

    bool driving_ = false;
    std::thread::id driverThread_;
    bool backgroundDriving_ = false;
    bool watching_ = false;
    int userWaiters_ = 0;
    bool stopBackground_ = false;
    std::unique_ptr<std::thread> background_;
    UniqueFd wakeDriver_;  ///< eventfd: makes a driver blocked in poll() return
    UniqueFd wakeWatcher_; ///< eventfd: makes the idle background watcher return
    std::atomic<bool> interrupted_{false};
    UniqueFd epoll_; ///< the driver's wait set: wakeDriver_, every socket and sentinel
    std::vector<Worker*> exits_;

    std::size_t workerCounter_ = 0;
    std::size_t tasksQueued_ = 0, tasksRunning_ = 0, tasksDone_ = 0, tasksFailed_ = 0, tasksLost_ = 0;
    std::size_t workersStarted_ = 0, workerReplacements_ = 0, workerDeaths_ = 0;
};

} // namespace forkscope::detail
