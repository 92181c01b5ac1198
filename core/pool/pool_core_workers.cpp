// PoolCore: the workers (start, replace, death), dispatch of chunks and their results.
#include "events/emit.h"
#include "pool_core.h"
#include "pool_errors.h"
#include "pool_worker.h"
#include "process/errors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sys/epoll.h>

namespace forkscope::detail {

namespace {

/// A chunk is worth this much pipelining: enough queued work per worker to cover the round
/// trip, little enough that a slow chunk does not leave another worker idle at the end.
constexpr double kPipelineSeconds = 0.002;
constexpr std::size_t kMaxWindow = 256;

std::string describeItems(const PoolJob& job, std::size_t chunk) {
    const std::size_t begin = job.chunkBegin(chunk);
    const std::size_t end = job.chunkEnd(chunk);
    if (end - begin == 1) {
        return "task " + std::to_string(begin) + " of " + job.describe();
    }
    return "tasks " + std::to_string(begin) + "-" + std::to_string(end - 1) + " of " + job.describe();
}

} // namespace

void PoolCore::startWorker() {
    auto [parentEnd, childEnd] = fdio::makeSocketPair();
    PoolWorkerConfig workerConfig;
    workerConfig.socket = FdHandle(childEnd.get());
    workerConfig.maxTasks = config_.maxTasksPerChild;
    workerConfig.acceptClosures = startMethod() == StartMethod::Fork;
    workerConfig.traceId = traceId_;
    if (config_.initializer && !config_.initializer->isClosure()) {
        workerConfig.initializer = config_.initializer->registeredName();
    }
    Args args = config_.initargs;
    args.push_back(named("forkscope.pool", workerConfig));
    const std::uint64_t id = ++workerCounter_; // never reused, so a stale event finds nobody
    std::string workerName = name_ + "-worker-" + std::to_string(id);
    // Under fork the worker runs in this image's memory, so the initializer may be a closure;
    // a fresh image finds the registered worker body (and initializer) by name.
    Target target = startMethod() == StartMethod::Fork
                        ? Target([workerConfig, initializer = config_.initializer](TaskArgs& taskArgs) {
                              runPoolWorker(workerConfig, initializer ? &*initializer : nullptr, taskArgs);
                          })
                        : Target("forkscopePoolWorkerMain");
    Process process(config_.context, std::move(target), std::move(args),
                    ProcessOptions{.name = workerName, .daemon = true});
    process.start();
    childEnd.reset(); // the worker holds its end; ours must go so its death reads as end of stream
    auto worker = std::make_unique<Worker>(process);
    worker->socket = std::move(parentEnd);
    worker->channel = std::make_unique<WorkerChannel>(worker->socket.get());
    worker->name = std::move(workerName);
    worker->pid = *process.pid();
    worker->sentinel = process.sentinel();
    worker->lastResult = Clock::now();
    worker->id = id;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = worker->id * 2;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, worker->socket.get(), &event) != 0) {
        throw OsError("epoll_ctl(add) for " + worker->name, errno);
    }
    worker->socketEvents = EPOLLIN;
    event.data.u64 = worker->id * 2 + 1;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, worker->sentinel, &event) != 0) {
        throw OsError("epoll_ctl(add) for the sentinel of " + worker->name, errno);
    }
    workers_.push_back(std::move(worker));
    ++workersStarted_;
}

void PoolCore::updateInterest(Worker& worker) {
    if (worker.exited || worker.socketEvents == 0) {
        return;
    }
    // At end of stream the socket would report EPOLLHUP forever: only the sentinel matters then.
    const std::uint32_t wanted =
        worker.eof ? 0U
                   : static_cast<std::uint32_t>(EPOLLIN) |
                         (worker.channel->pendingOutput() ? static_cast<std::uint32_t>(EPOLLOUT) : 0U);
    if (wanted == worker.socketEvents) {
        return;
    }
    epoll_event event{};
    event.events = wanted;
    event.data.u64 = worker.id * 2;
    const int rc = wanted == 0 ? ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.socket.get(), nullptr)
                               : ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, worker.socket.get(), &event);
    if (rc != 0) {
        throw OsError("epoll_ctl for " + worker.name, errno);
    }
    worker.socketEvents = wanted;
}

void PoolCore::unwatch(Worker& worker) {
    if (worker.socketEvents != 0) {
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.socket.get(), nullptr);
        worker.socketEvents = 0;
    }
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, worker.sentinel, nullptr);
}

PoolCore::Worker* PoolCore::findWorker(std::uint64_t id) const {
    for (const auto& worker : workers_) {
        if (worker->id == id) {
            return worker.get();
        }
    }
    return nullptr;
}

bool PoolCore::shouldReplaceWorkers() const {
    // As Python's worker handler: keep the pool at size while it runs, and after close() while
    // results are still owed.
    return state_ == PoolState::Running || (state_ == PoolState::Closed && !active_.empty());
}

std::size_t PoolCore::window() const {
    if (chunkSeconds_ < 0) {
        return 2;
    }
    const double chunks = kPipelineSeconds / std::max(chunkSeconds_, 1e-9);
    return std::clamp<std::size_t>(static_cast<std::size_t>(chunks), 1, kMaxWindow);
}

void PoolCore::maintain() {
    bool changed = false;
    for (auto it = workers_.begin(); it != workers_.end();) {
        if ((*it)->exited) {
            unwatch(**it);
            (*it)->process.close();
            it = workers_.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    if (shouldReplaceWorkers()) {
        while (workers_.size() < config_.processes) {
            startWorker();
            ++workerReplacements_;
            trace::emit(EventType::PoolWorkerReplaced, traceId_,
                        static_cast<std::uint64_t>(workers_.back()->pid));
            changed = true;
        }
    }
    dispatch();
    if (state_ == PoolState::Closed && active_.empty()) {
        for (auto& worker : workers_) {
            if (!worker->stopSent && !worker->exited) {
                Bytes& out = worker->channel->output();
                const std::size_t frame = beginFrame(out);
                out.push_back(wire::kStop);
                finishFrame(out, frame);
                worker->stopSent = true;
            }
        }
    }
    for (auto& worker : workers_) {
        if (worker->channel->pendingOutput() && !worker->exited) {
            worker->channel->flush(); // a vanished peer is reported by its sentinel
        }
    }
    if (changed && watching_) {
        wake(wakeWatcher_.get());
    }
}

void PoolCore::dispatch() {
    if (state_ == PoolState::Terminated || state_ == PoolState::Broken) {
        return;
    }
    const std::size_t limit = window();
    while (!requeued_.empty() || !queue_.empty()) {
        Worker* best = nullptr;
        for (auto& worker : workers_) {
            if (worker->exited || worker->eof || worker->stopSent || worker->inflight.size() >= limit ||
                (config_.maxTasksPerChild != 0 && worker->dispatched >= config_.maxTasksPerChild)) {
                continue;
            }
            if (best == nullptr || worker->inflight.size() < best->inflight.size()) {
                best = worker.get();
            }
        }
        if (best == nullptr) {
            return;
        }
        ChunkRef ref;
        if (!requeued_.empty()) {
            ref = std::move(requeued_.front());
            requeued_.pop_front();
        } else {
            ref = {queue_.front(), queue_.front()->nextChunk++};
            if (queue_.front()->nextChunk >= queue_.front()->chunks) {
                queue_.pop_front();
            }
        }
        const std::size_t items = ref.job->chunkEnd(ref.chunk) - ref.job->chunkBegin(ref.chunk);
        tasksQueued_ -= items;
        if (ref.job->finished) {
            continue; // its outcome is already decided (a map that failed): no need to run it
        }
        sendChunk(*best, ref.job, ref.chunk);
    }
}

void PoolCore::sendChunk(Worker& worker, const std::shared_ptr<PoolJob>& job, std::size_t chunk) {
    Bytes& out = worker.channel->output();
    const std::size_t rollback = out.size();
    const std::size_t begin = job->chunkBegin(chunk);
    const std::size_t end = job->chunkEnd(chunk);
    try {
        const std::size_t frame = beginFrame(out);
        out.push_back(wire::kChunk);
        putRaw(out, ++chunkSeq_);
        putRaw(out, job->fn.id);
        if (job->fn.id == 0) {
            putRaw(out, job->fn.closureInvoker);
            putRaw(out, static_cast<std::uint32_t>(job->fn.closure.size()));
            out.insert(out.end(), job->fn.closure.begin(), job->fn.closure.end());
        }
        putRaw(out, static_cast<std::uint32_t>(end - begin));
        job->encodeChunk(begin, end, out);
        finishFrame(out, frame);
        trace::emit(EventType::PoolTaskQueued, traceId_, chunkSeq_);
    } catch (const std::exception& e) {
        out.resize(rollback);
        finishJob(job, std::make_exception_ptr(SerializationError(
                           "cannot send the arguments of " + describeItems(*job, chunk) + ": " + e.what())));
        return;
    }
    worker.inflight.push_back({job, chunk, chunkSeq_, Clock::now()});
    ++worker.dispatched;
    tasksRunning_ += end - begin;
}

void PoolCore::readWorker(Worker& worker) {
    if (worker.eof) {
        return;
    }
    worker.eof = !worker.channel->fill();
    while (auto frame = worker.channel->nextFrame()) {
        handleFrame(worker, *frame);
    }
}

void PoolCore::handleFrame(Worker& worker, std::span<const std::uint8_t> frame) {
    if (state_ == PoolState::Terminated || state_ == PoolState::Broken) {
        return; // every job already failed; late results of the surviving workers are moot
    }
    WireReader reader(frame);
    const auto kind = reader.raw<std::uint8_t>();
    const auto seq = reader.raw<std::uint64_t>();
    const auto ok = reader.raw<std::uint8_t>();
    if (kind != wire::kResult || worker.inflight.empty() || worker.inflight.front().seq != seq) {
        throw ProcessError("pool protocol error: " + worker.name + " answered chunk " + std::to_string(seq) +
                           " out of order");
    }
    InFlight done = std::move(worker.inflight.front());
    worker.inflight.pop_front();
    ++worker.done;
    const auto now = Clock::now();
    const double service =
        std::chrono::duration<double>(now - std::max(done.sentAt, worker.lastResult)).count();
    worker.lastResult = now;
    chunkSeconds_ = chunkSeconds_ < 0 ? service : 0.9 * chunkSeconds_ + 0.1 * service;

    PoolJob& job = *done.job;
    const std::size_t begin = job.chunkBegin(done.chunk);
    const std::size_t end = job.chunkEnd(done.chunk);
    tasksRunning_ -= end - begin;
    tasksDone_ += end - begin;
    if (ok != 0) {
        if (!job.finished) {
            try {
                job.decodeChunk(begin, end, reader.rest());
            } catch (const std::exception& e) {
                finishJob(done.job, std::make_exception_ptr(SerializationError(
                                        "cannot decode the results of " + describeItems(job, done.chunk) +
                                        ": " + e.what())));
            }
            if (job.trackItems) {
                std::fill(job.itemStates.begin() + static_cast<std::ptrdiff_t>(begin),
                          job.itemStates.begin() + static_cast<std::ptrdiff_t>(end), ItemState::Done);
                job.arrivals.push_back(done.chunk);
            }
        }
    } else {
        tasksFailed_ += end - begin;
        const auto offset = reader.raw<std::uint32_t>();
        std::string type = reader.text();
        std::string message = reader.text();
        auto error = std::make_exception_ptr(TaskError(begin + offset, std::move(type), std::move(message)));
        if (job.trackItems) {
            job.chunkErrors[done.chunk] = error;
            std::fill(job.itemStates.begin() + static_cast<std::ptrdiff_t>(begin),
                      job.itemStates.begin() + static_cast<std::ptrdiff_t>(end), ItemState::Failed);
            job.arrivals.push_back(done.chunk);
        } else if (!job.finished) {
            finishJob(done.job, error);
        }
    }
    ++job.chunksDone;
    if (!job.finished && job.chunksDone == job.chunks) {
        finishJob(done.job, nullptr);
    }
}

void PoolCore::handleExit(Worker& worker) {
    if (worker.exited) {
        return;
    }
    readWorker(worker); // what it sent before dying still counts
    std::optional<int> code = worker.process.exitCode();
    if (!code) {
        worker.process.join(5.0); // the sentinel fired: the status is on its way
        code = worker.process.exitCode();
    }
    const int exitCode = code.value_or(-1);
    worker.exited = true;
    if (exitCode != 0) {
        ++workerDeaths_;
    }
    const bool expected = state_ == PoolState::Terminated || state_ == PoolState::Broken;
    if (!worker.inflight.empty() && !expected) {
        if (config_.deathPolicy == WorkerDeathPolicy::Broken) {
            breakPool(worker, exitCode);
        } else {
            // multiprocessing.Pool: the chunk the worker was running is simply lost (its job
            // never completes); the chunks queued behind it had not started, so another worker
            // takes them.
            const InFlight& lost = worker.inflight.front();
            const std::size_t lostItems = lost.job->chunkEnd(lost.chunk) - lost.job->chunkBegin(lost.chunk);
            tasksRunning_ -= lostItems;
            tasksLost_ += lostItems;
            for (auto it = worker.inflight.rbegin(); it + 1 != worker.inflight.rend(); ++it) {
                const std::size_t items = it->job->chunkEnd(it->chunk) - it->job->chunkBegin(it->chunk);
                tasksRunning_ -= items;
                tasksQueued_ += items;
                requeued_.push_front({it->job, it->chunk});
            }
        }
    } else if (exitCode != 0 && !expected && config_.deathPolicy == WorkerDeathPolicy::Broken) {
        breakPool(worker, exitCode); // ProcessPoolExecutor breaks on any abrupt death
    }
    worker.inflight.clear();
}

void PoolCore::breakPool(const Worker& worker, int exitCode) {
    std::string what =
        worker.inflight.empty()
            ? std::string("while idle")
            : "while running " + describeItems(*worker.inflight.front().job, worker.inflight.front().chunk);
    brokenMessage_ = "worker " + worker.name + " (pid " + std::to_string(worker.pid) +
                     ") died with exit code " + std::to_string(exitCode) + " " + what + "; " + name_ +
                     " is broken and refuses new work (WorkerDeathPolicy::Broken)";
    state_ = PoolState::Broken;
    failAllJobs(std::make_exception_ptr(BrokenPoolError(brokenMessage_)), true);
    for (auto& other : workers_) {
        if (!other->exited && other.get() != &worker) {
            // SIGKILL, not SIGTERM: what they hold is already failed, and a worker forked an
            // instant ago may still run the parent's SIGTERM handler (a test framework's crash
            // handler, say) until the fork launcher resets it. Reaped through their sentinels.
            other->process.kill();
        }
    }
}

void PoolCore::finishJob(const std::shared_ptr<PoolJob>& job, std::exception_ptr error) {
    job->finished = true;
    job->error = std::move(error);
    std::erase(active_, job);
    const bool callback = job->error ? static_cast<bool>(job->errorCallback) : job->hasSuccessCallback();
    if (callback) {
        completions_.push_back(job);
    } else {
        job->complete = true;
    }
}

void PoolCore::failAllJobs(const std::exception_ptr& error, bool withCallbacks) {
    for (auto& job : active_) {
        if (job->finished) {
            continue;
        }
        job->finished = true;
        job->error = error;
        if (withCallbacks && job->errorCallback) {
            completions_.push_back(job);
        } else {
            job->complete = true;
        }
    }
    active_.clear();
    queue_.clear();
    requeued_.clear();
    for (auto& worker : workers_) {
        worker->inflight.clear();
    }
    tasksQueued_ = 0;
    tasksRunning_ = 0;
}

} // namespace forkscope::detail
