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

void TraceFollower::trackPhases(std::int64_t ts, TraceUpdate& update) {
    for (const auto& [pid, p] : model_.state().processes) {
        auto it = lastPhase_.find(pid);
        if (it == lastPhase_.end() || it->second.phase != p.phase || it->second.blockedOn != p.blockedOn) {
            PhaseChange change{pid, ts, p.phase, p.blockedOn, p.blockedBy};
            lastPhase_[pid] = change;
            update.phases.push_back(change);
        }
    }
}

void TraceFollower::poll() {
    if (path_.isEmpty()) {
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
            trackPhases(e.ts, *update);
            switch (e.type) {
            case EventType::QueuePut:
            case EventType::QueueGet:
            case EventType::QueueFeederWrite:
            case EventType::QueueFeederBlocked:
            case EventType::QueueFeederUnblocked: {
                const QueueState& q = model_.state().queues.at(e.object);
                update->levels.push_back({e.object, e.ts, static_cast<double>(q.depth),
                                          static_cast<double>(q.pipeBytes), q.feederBlocked});
                break;
            }
            case EventType::PipeSend:
            case EventType::PipeRecv: {
                const PipeState& p = model_.state().pipes.at(e.object);
                update->levels.push_back({e.object, e.ts, 0.0, static_cast<double>(p.bytes), false});
                break;
            }
            default:
                break;
            }
            if (effect.acquired) {
                update->lockSamples.push_back({effect.lock, e.ts, e.pid, true, effect.contended,
                                               std::max<std::int64_t>(effect.waitNs, 0), 0});
            }
            if (effect.released && effect.holdNs >= 0) {
                update->lockSamples.push_back({effect.lock, e.ts, e.pid, false, false, 0, effect.holdNs});
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
