#include "trace_follower.h"

#include <QFileInfo>
#include <exception>

namespace forkscope {

TraceFollower::TraceFollower(QObject* parent) : QObject(parent) {}

TraceFollower::~TraceFollower() = default;

void TraceFollower::open(const QString& path, bool waitForFile, quint64 generation) {
    close();
    generation_ = generation;
    path_ = path;
    waitForFile_ = waitForFile;
    if (timer_ == nullptr) {
        // Created here, in the follower's thread, so its timeouts arrive in this thread.
        timer_ = new QTimer(this);
        timer_->setInterval(kPollMs);
        connect(timer_, &QTimer::timeout, this, &TraceFollower::poll);
    }
    timer_->start();
    poll();
}

void TraceFollower::close() {
    if (timer_ != nullptr) {
        timer_->stop();
    }
    reader_.reset();
    model_ = StateModel();
    lastSeq_ = 0;
    sentFirst_ = false;
    finishedSent_ = false;
    processCount_ = objectCount_ = metaCount_ = 0;
    lastPhase_.clear();
    busyWorkers_.clear();
    blockedPipeCapacity_.clear();
    // inFlight_ stays: the updates already sent will still arrive, and be counted as consumed.
    path_.clear();
}

void TraceFollower::tryOpen() {
    if (waitForFile_ && !QFileInfo::exists(path_)) {
        return; // the host has not created it yet: next poll
    }
    try {
        reader_ = std::make_unique<TraceReader>(path_.toStdString());
    } catch (const std::exception& e) {
        // A file the host is creating right now may not have its schema yet; a recording
        // that cannot be read is an error the user must see.
        if (!waitForFile_) {
            if (timer_ != nullptr) {
                timer_->stop();
            }
            Q_EMIT failed(QString::fromStdString(e.what()));
        }
    }
}

void TraceFollower::trackPhase(std::int32_t pid, std::int64_t ts, TraceUpdate& update) {
    auto p = model_.state().processes.find(pid);
    if (p == model_.state().processes.end()) {
        return;
    }
    auto it = lastPhase_.find(pid);
    if (it == lastPhase_.end() || it->second.phase != p->second.phase ||
        it->second.blockedOn != p->second.blockedOn) {
        PhaseChange change{pid, ts, p->second.phase, p->second.blockedOn, p->second.blockedBy};
        lastPhase_[pid] = change;
        update.phases.push_back(change);
    }
}

void TraceFollower::trackPhases(const Event& e, TraceUpdate& update) {
    // StateModel changes the emitter, the process an event names (ids below kFirstObjectId are
    // pids), and for a barrier's pass or break every process waiting on it: only those can
    // have entered a new phase, so a 64-process trace costs two lookups an event, not 64.
    if (e.type == EventType::BarrierPass || e.type == EventType::BarrierBroken) {
        for (const auto& [pid, p] : model_.state().processes) {
            trackPhase(pid, e.ts, update);
        }
        return;
    }
    trackPhase(e.pid, e.ts, update);
    if (e.object != 0 && e.object < kFirstObjectId && static_cast<std::int32_t>(e.object) != e.pid) {
        trackPhase(static_cast<std::int32_t>(e.object), e.ts, update);
    }
}

void TraceFollower::trackPool(const Event& e, TraceUpdate& update) {
    switch (e.type) {
    case EventType::PoolTaskStarted:
    case EventType::PoolTaskFinished: {
        auto& busy = busyWorkers_[e.object];
        const bool started = e.type == EventType::PoolTaskStarted;
        if (started ? busy.insert(e.pid).second : busy.erase(e.pid) > 0) {
            update.poolSamples.push_back(
                {e.object, {e.ts, static_cast<std::int32_t>(busy.size()), started ? 0 : 1}});
        } else if (!started) {
            // A finish without a start this follower saw (the start was before a drop): the task
            // still counts for the throughput.
            update.poolSamples.push_back({e.object, {e.ts, static_cast<std::int32_t>(busy.size()), 1}});
        }
        break;
    }
    case EventType::ProcessExited:
    case EventType::ProcessZombie:
    case EventType::ProcessReaped:
        // A worker that dies in the middle of a task is no longer busy (pool-worker-death).
        for (auto& [pool, busy] : busyWorkers_) {
            if (busy.erase(static_cast<std::int32_t>(e.object)) > 0) {
                update.poolSamples.push_back({pool, {e.ts, static_cast<std::int32_t>(busy.size()), 0}});
            }
        }
        break;
    default:
        break;
    }
}

void TraceFollower::consumed() noexcept {
    inFlight_.fetch_sub(1, std::memory_order_relaxed);
}

void TraceFollower::poll() {
    if (path_.isEmpty()) {
        return;
    }
    if (inFlight_.load(std::memory_order_relaxed) >= kMaxInFlight) {
        // The GUI thread has not taken the last batches yet: reading on would only pile them up
        // in its event queue (memory) and make it process several at once (a stall).
        if (!retryPending_) {
            retryPending_ = true;
            QTimer::singleShot(kRetryMs, this, [this] {
                retryPending_ = false;
                poll();
            });
        }
        return;
    }
    if (!reader_) {
        tryOpen();
        if (!reader_) {
            return;
        }
    }
    try {
        auto update = std::make_shared<TraceUpdate>();
        update->generation = generation_;
        update->reset = !sentFirst_;
        update->firstSeq = lastSeq_ + 1;
        update->events = reader_->events(lastSeq_, kBatchEvents);
        update->lastSeq =
            update->events.size() < kBatchEvents ? lastSeq_ + update->events.size() : reader_->lastSeq();
        update->caughtUp = update->events.size() < kBatchEvents;
        std::uint64_t seq = lastSeq_;
        for (const Event& e : update->events) {
            const ApplyEffect effect = model_.apply(e, ++seq);
            trackPhases(e, *update);
            trackPool(e, *update);
            switch (e.type) {
            case EventType::QueuePut:
            case EventType::QueueGet:
            case EventType::QueueFeederWrite:
            case EventType::QueueFeederBlocked:
            case EventType::QueueFeederUnblocked: {
                if (e.type == EventType::QueueFeederBlocked && e.aux != 0) {
                    blockedPipeCapacity_[e.object] = e.aux;
                } else if (e.type == EventType::QueueFeederUnblocked) {
                    blockedPipeCapacity_.erase(e.object);
                }
                const QueueState& q = model_.state().queues.at(e.object);
                std::int64_t pipeBytes = q.pipeBytes;
                // A feeder blocks in its write only when the pipe is full, and its
                // QueueFeederWrite comes when the write completes: meanwhile the pipe is full.
                if (auto it = blockedPipeCapacity_.find(e.object);
                    q.feederBlocked && it != blockedPipeCapacity_.end()) {
                    pipeBytes = std::max(pipeBytes, it->second);
                }
                update->levels.push_back(
                    {e.object,
                     {e.ts, static_cast<std::int32_t>(q.depth), static_cast<std::int32_t>(pipeBytes)}});
                break;
            }
            case EventType::PipeSend:
            case EventType::PipeRecv: {
                const PipeState& p = model_.state().pipes.at(e.object);
                update->levels.push_back({e.object, {e.ts, 0, static_cast<std::int32_t>(p.bytes)}});
                break;
            }
            default:
                break;
            }
            if (effect.acquired) {
                update->lockSamples.push_back(
                    {effect.lock, LockPoint::make(e.ts, e.pid, true, effect.contended,
                                                  std::max<std::int64_t>(effect.waitNs, 0))});
            }
            if (effect.released && effect.holdNs >= 0) {
                update->lockSamples.push_back(
                    {effect.lock, LockPoint::make(e.ts, e.pid, false, false, effect.holdNs)});
            }
        }
        lastSeq_ = seq;
        update->processes = reader_->processes();
        update->objects = reader_->objects();
        update->meta = reader_->meta();
        update->finished = reader_->finished();
        const bool tablesChanged = update->processes.size() != processCount_ ||
                                   update->objects.size() != objectCount_ ||
                                   update->meta.size() != metaCount_;
        if (update->reset || !update->events.empty() || tablesChanged || update->finished != finishedSent_) {
            processCount_ = update->processes.size();
            objectCount_ = update->objects.size();
            metaCount_ = update->meta.size();
            finishedSent_ = update->finished;
            sentFirst_ = true;
            const bool more = !update->caughtUp;
            inFlight_.fetch_add(1, std::memory_order_relaxed);
            Q_EMIT updated(std::move(update));
            if (more) {
                QTimer::singleShot(0, this, &TraceFollower::poll); // catch up without waiting a tick
            }
        }
        if (finishedSent_ && timer_ != nullptr) {
            timer_->stop(); // a finished trace never changes again
        }
    } catch (const std::exception& e) {
        if (timer_ != nullptr) {
            timer_->stop();
        }
        Q_EMIT failed(QString::fromStdString(e.what()));
    }
}

} // namespace forkscope
