// PoolCore: lifecycle, waiting and driving (who polls the workers, when). The workers
// themselves, dispatch and results are in pool_core_workers.cpp.
#include "pool_core.h"

#include "events/emit.h"
#include "events/wait_trace.h"
#include "pool_errors.h"
#include "process/errors.h"

#include <cerrno>
#include <cstdio>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace forkscope::detail {

namespace {

std::atomic<int> g_poolCounter{0};

constexpr auto kBackgroundGrace = std::chrono::milliseconds(1);

UniqueFd makeEventFd() {
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) {
        throw OsError("eventfd for a pool", errno);
    }
    return UniqueFd(fd);
}

// getpid() is a system call, and every pool call checks the caller's process: cache it, and
// refresh it in a forked child.
std::atomic<pid_t> g_pid{0};

void refreshPid() noexcept {
    g_pid.store(::getpid(), std::memory_order_relaxed);
}

pid_t currentPid() noexcept {
    pid_t pid = g_pid.load(std::memory_order_relaxed);
    if (pid == 0) {
        static std::once_flag once;
        std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, &refreshPid); });
        pid = ::getpid();
        g_pid.store(pid, std::memory_order_relaxed);
    }
    return pid;
}

UniqueFd makeEpoll(int wakeFd) {
    UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!fd) {
        throw OsError("epoll_create1 for a pool", errno);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = 0;
    if (::epoll_ctl(fd.get(), EPOLL_CTL_ADD, wakeFd, &event) != 0) {
        throw OsError("epoll_ctl for a pool", errno);
    }
    return fd;
}

void drainEventFd(int fd) noexcept {
    std::uint64_t value = 0;
    [[maybe_unused]] const ssize_t n = ::read(fd, &value, sizeof value);
}

int pollMilliseconds(std::optional<std::chrono::steady_clock::time_point> deadline) {
    if (!deadline) {
        return -1;
    }
    const auto left = *deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
        return 0;
    }
    // Round up, so a wait never returns just before its deadline and spins.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<long long>(ms, 1 << 30));
}

} // namespace

PoolCore::PoolCore(PoolConfig config)
    : config_(std::move(config)), name_("Pool-" + std::to_string(++g_poolCounter)), creatorPid_(currentPid()),
      traceId_(trace::objectId(ObjectKind::Pool, name_, config_.processes)), wakeDriver_(makeEventFd()),
      wakeWatcher_(makeEventFd()), epoll_(makeEpoll(wakeDriver_.get())) {
    if (config_.processes < 1) {
        throw ProcessError("a pool needs at least 1 process (got " + std::to_string(config_.processes) + ")");
    }
    if (config_.initializer && startMethod() != StartMethod::Fork &&
        config_.initializer->registeredName().empty()) {
        throw SerializationError(
            "cannot use " + config_.initializer->describe() + " as the initializer of a " +
            std::string(toString(startMethod())) +
            " pool: a fresh program image can only run a task registered with FORKSCOPE_TASK");
    }
    std::unique_lock lock(mutex_);
    try {
        for (std::size_t i = 0; i < config_.processes; ++i) {
            startWorker();
        }
    } catch (...) {
        lock.unlock();
        terminate();
        throw;
    }
    background_ = std::make_unique<std::thread>([this] { backgroundLoop(); });
}

PoolCore::~PoolCore() {
    if (currentPid() != creatorPid_) {
        // A forked copy of the object: the thread and the workers belong to the creator. The
        // std::thread must not be destroyed here (it names a thread this process does not have).
        (void)background_.release();
        return;
    }
    terminate();
    if (background_ && background_->joinable()) {
        if (background_->get_id() == std::this_thread::get_id()) {
            background_->detach(); // the last reference was dropped by a callback
        } else {
            background_->join();
        }
    }
}

void PoolCore::checkOwner(const char* operation) const {
    const pid_t me = currentPid();
    if (me != creatorPid_) {
        throw ProcessError(
            std::string("cannot ") + operation + " " + name_ + " from pid " + std::to_string(me) +
            ": a pool can only be used by the process that created it (pid " + std::to_string(creatorPid_) +
            "); this process only inherited a copy of the object");
    }
}

bool PoolCore::isOwner() const noexcept {
    return currentPid() == creatorPid_;
}

void PoolCore::wake(int fd) const noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
}

void PoolCore::interrupt() noexcept {
    interrupted_.store(true);
    wake(wakeDriver_.get());
    wake(wakeWatcher_.get());
}

void PoolCore::submit(const std::shared_ptr<PoolJob>& job, bool callerWaits) {
    std::unique_lock lock(mutex_);
    if (state_ == PoolState::Broken) {
        throw BrokenPoolError(brokenMessage_);
    }
    if (state_ != PoolState::Running) {
        throw ProcessError("cannot submit work to " + name_ +
                           ": the pool is not running (close() or terminate() was called)");
    }
    if (job->chunks == 0) {
        finishJob(job, nullptr); // an empty map: done at once, callbacks in the caller's thread
        runCompletions(lock);
        return;
    }
    active_.push_back(job);
    queue_.push_back(job);
    tasksQueued_ += job->items;
    dispatch();
    bool pending = false;
    for (auto& worker : workers_) {
        if (worker->channel->pendingOutput()) {
            worker->channel->flush();
            pending = pending || worker->channel->pendingOutput();
        }
    }
    if (driving_) {
        if (pending) {
            wake(wakeDriver_.get()); // the driver must add POLLOUT for the rest
        }
    } else if (userWaiters_ == 0 && !callerWaits) {
        // Nobody waits yet: the background thread drives, after a grace period in which a
        // get() can take over without a thread hop.
        cv_.notify_all();
        if (watching_) {
            wake(wakeWatcher_.get());
        }
    }
}

bool PoolCore::waitUntil(const std::function<bool()>& done, fdio::Timeout timeout) {
    Deadline deadline;
    if (timeout) {
        deadline = Clock::now() +
                   std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout));
    }
    std::unique_lock lock(mutex_);
    if (++userWaiters_ == 1) {
        cv_.notify_all(); // the background thread in its grace period steps aside
    }
    struct Leave {
        PoolCore& core;
        ~Leave() {
            --core.userWaiters_;
            core.cv_.notify_all();
        }
    } leave{*this};
    // A caller that has to wait for a result says so (Blocked(pool, PoolTaskFinished)).
    WaitTrace wait;
    for (;;) {
        if (done()) {
            wait.end();
            return true;
        }
        wait.begin(traceId_, EventType::PoolTaskFinished);
        if (interrupted_.exchange(false)) {
            throw KeyboardInterrupt("interrupted while waiting for " + name_);
        }
        if (deadline && Clock::now() >= *deadline) {
            return false;
        }
        if (!driving_) {
            driveOnce(lock, deadline);
            continue;
        }
        if (backgroundDriving_) {
            wake(wakeDriver_.get()); // take over: the caller's thread reads its own results
        }
        if (deadline) {
            cv_.wait_until(lock, *deadline);
        } else {
            cv_.wait(lock);
        }
    }
}

void PoolCore::driveOnce(std::unique_lock<std::mutex>& lock, Deadline deadline) {
    driving_ = true;
    driverThread_ = std::this_thread::get_id();
    struct Release {
        PoolCore& core;
        ~Release() {
            core.driving_ = false;
            core.driverThread_ = {};
            core.cv_.notify_all();
        }
    } release{*this};
    maintain();
    runCompletions(lock);
    for (auto& worker : workers_) {
        updateInterest(*worker);
    }
    const int timeoutMs = pollMilliseconds(deadline);
    epoll_event events[32];
    lock.unlock();
    const int rc = ::epoll_wait(epoll_.get(), events, 32, timeoutMs);
    const int err = errno;
    lock.lock();
    if (rc < 0 && err != EINTR) {
        throw OsError("epoll_wait in " + name_, err);
    }
    exits_.clear();
    for (int i = 0; i < rc; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == 0) {
            drainEventFd(wakeDriver_.get());
            continue;
        }
        Worker* worker = findWorker(tag / 2);
        if (worker == nullptr || worker->exited) {
            continue; // removed while we waited
        }
        if (tag % 2 == 1) {
            exits_.push_back(worker); // after its last results, which may be in this batch
            continue;
        }
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            readWorker(*worker);
        }
        if ((events[i].events & EPOLLOUT) != 0) {
            worker->channel->flush();
        }
    }
    for (Worker* worker : exits_) {
        handleExit(*worker);
    }
    maintain();
    runCompletions(lock);
}

void PoolCore::runCompletions(std::unique_lock<std::mutex>& lock) {
    while (!completions_.empty()) {
        std::vector<std::shared_ptr<PoolJob>> batch;
        batch.swap(completions_);
        lock.unlock();
        for (auto& job : batch) {
            try {
                if (job->error) {
                    try {
                        std::rethrow_exception(job->error);
                    } catch (const std::exception& e) {
                        job->errorCallback(e);
                    }
                } else {
                    job->runSuccessCallback();
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "forkscope: %s: a callback of %s raised %s\n", name_.c_str(),
                             job->describe().c_str(), e.what());
            } catch (...) {
                std::fprintf(stderr, "forkscope: %s: a callback of %s raised an unknown exception\n",
                             name_.c_str(), job->describe().c_str());
            }
        }
        lock.lock();
        for (auto& job : batch) {
            job->complete = true;
        }
        cv_.notify_all();
    }
}

bool PoolCore::backgroundHasWork() const {
    if (!queue_.empty() || !requeued_.empty() || !completions_.empty()) {
        return true;
    }
    for (const auto& worker : workers_) {
        if (!worker->inflight.empty() || worker->exited ||
            (state_ == PoolState::Closed && active_.empty() && !worker->stopSent)) {
            return true;
        }
    }
    return shouldReplaceWorkers() && workers_.size() < config_.processes;
}

void PoolCore::backgroundLoop() {
    std::unique_lock lock(mutex_);
    bool graceDone = false; // only when taking over from idleness or from a caller
    while (!stopBackground_) {
        if (driving_ || userWaiters_ > 0) {
            cv_.wait(lock); // a caller drives; it notifies when it stops
            graceDone = false;
            continue;
        }
        try {
            if (backgroundHasWork()) {
                // A caller about to wait (applyAsync(...).get()) reads its own result: give it a
                // moment to arrive before taking the driver role it would have to take back.
                if (!graceDone) {
                    graceDone = true;
                    if (cv_.wait_for(lock, kBackgroundGrace,
                                     [this] { return driving_ || userWaiters_ > 0 || stopBackground_; })) {
                        continue;
                    }
                }
                backgroundDriving_ = true;
                struct Reset {
                    bool& flag;
                    ~Reset() { flag = false; }
                } reset{backgroundDriving_};
                driveOnce(lock, std::nullopt);
            } else {
                watchSentinels(lock);
                graceDone = false;
            }
        } catch (const std::exception& e) {
            // The engine itself failed (not a task): nothing can be trusted, so the pool breaks
            // rather than retrying in a loop.
            std::fprintf(stderr, "forkscope: %s: the pool's background driver failed: %s\n", name_.c_str(),
                         e.what());
            if (state_ == PoolState::Running || state_ == PoolState::Closed) {
                state_ = PoolState::Broken;
                brokenMessage_ = name_ + " is broken: its driver failed: " + e.what();
                failAllJobs(std::make_exception_ptr(BrokenPoolError(brokenMessage_)), false);
                for (auto& worker : workers_) {
                    if (!worker->exited) {
                        worker->process.terminate();
                    }
                }
            }
            cv_.notify_all();
            watchSentinels(lock);
        }
    }
}

void PoolCore::watchSentinels(std::unique_lock<std::mutex>& lock) {
    // Idle: only a death can need attention, so watch the sentinels without taking the driver
    // role; a caller can start driving at once, without waking this thread.
    std::vector<pollfd> fds;
    fds.push_back({wakeWatcher_.get(), POLLIN, 0});
    for (const auto& worker : workers_) {
        if (!worker->exited) {
            fds.push_back({worker->sentinel, POLLIN, 0});
        }
    }
    watching_ = true;
    lock.unlock();
    const int rc = ::poll(fds.data(), fds.size(), -1);
    lock.lock();
    watching_ = false;
    if (rc <= 0) {
        return;
    }
    if (fds[0].revents != 0) {
        drainEventFd(wakeWatcher_.get());
    }
    bool died = false;
    for (std::size_t i = 1; i < fds.size(); ++i) {
        died = died || fds[i].revents != 0;
    }
    if (died && !driving_ && userWaiters_ == 0 && !stopBackground_) {
        driveOnce(lock, Clock::now()); // zero timeout: handle the exit, replace the worker
    }
}

bool PoolCore::acquireDriving(std::unique_lock<std::mutex>& lock) {
    if (driving_ && driverThread_ == std::this_thread::get_id()) {
        return false; // a callback, run by the driver itself, terminates the pool
    }
    ++userWaiters_;
    while (driving_) {
        wake(wakeDriver_.get());
        cv_.wait(lock);
    }
    --userWaiters_;
    driving_ = true;
    driverThread_ = std::this_thread::get_id();
    return true;
}

void PoolCore::stopBackground(std::unique_lock<std::mutex>& lock) {
    stopBackground_ = true;
    wake(wakeWatcher_.get());
    wake(wakeDriver_.get());
    cv_.notify_all();
    if (background_ && background_->joinable() && background_->get_id() != std::this_thread::get_id()) {
        lock.unlock();
        background_->join();
        lock.lock();
    }
}

void PoolCore::close() {
    std::unique_lock lock(mutex_);
    if (state_ == PoolState::Running) {
        state_ = PoolState::Closed;
    }
    cv_.notify_all();
    if (watching_) {
        wake(wakeWatcher_.get()); // an idle pool: the stop frames go out now
    }
}

bool PoolCore::join(fdio::Timeout timeout) {
    {
        std::lock_guard lock(mutex_);
        if (state_ == PoolState::Running) {
            throw ProcessError("cannot join " + name_ +
                               ": it is still running; call close() or terminate() first");
        }
    }
    if (!waitUntil([this] { return workers_.empty(); }, timeout)) {
        return false;
    }
    std::unique_lock lock(mutex_);
    stopBackground(lock);
    return true;
}

void PoolCore::terminate() noexcept {
    try {
        std::unique_lock lock(mutex_);
        if (state_ != PoolState::Terminated) {
            state_ = PoolState::Terminated;
            failAllJobs(
                std::make_exception_ptr(ProcessError(name_ + " was terminated before this result arrived")),
                false);
            struct Release {
                PoolCore& core;
                bool owned;
                ~Release() {
                    if (owned) {
                        core.driving_ = false;
                        core.driverThread_ = {};
                        core.cv_.notify_all();
                    }
                }
            } release{*this, acquireDriving(lock)};
            for (auto& worker : workers_) {
                if (!worker->exited) {
                    worker->process.terminate();
                }
            }
            for (auto& worker : workers_) {
                worker->process.join(2.0);
                if (!worker->process.exitCode()) {
                    worker->process.kill(); // a worker stuck with SIGTERM blocked in native code
                    worker->process.join(10.0);
                }
                if (worker->process.exitCode()) {
                    worker->process.close();
                }
            }
            for (auto& worker : workers_) {
                unwatch(*worker);
            }
            workers_.clear();
        }
        stopBackground(lock);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkscope: terminating %s failed: %s\n", name_.c_str(), e.what());
    }
}

PoolStats PoolCore::stats() const {
    std::lock_guard lock(mutex_);
    PoolStats s;
    s.name = name_;
    s.state = state_;
    s.deathPolicy = config_.deathPolicy;
    s.processes = config_.processes;
    for (const auto& worker : workers_) {
        if (worker->exited) {
            continue;
        }
        s.workers.push_back({worker->name, worker->pid, !worker->inflight.empty(), worker->inflight.size(),
                             static_cast<std::size_t>(worker->done)});
    }
    s.tasksQueued = tasksQueued_;
    s.tasksRunning = tasksRunning_;
    s.tasksDone = tasksDone_;
    s.tasksFailed = tasksFailed_;
    s.tasksLost = tasksLost_;
    s.workersStarted = workersStarted_;
    s.workerReplacements = workerReplacements_;
    s.workerDeaths = workerDeaths_;
    s.window = window();
    return s;
}

} // namespace forkscope::detail
