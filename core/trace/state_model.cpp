#include "state_model.h"

#include <algorithm>

namespace forkscope {

namespace {

bool isFinal(ProcessPhase phase) {
    return phase == ProcessPhase::Reaped;
}

void removeWaiter(std::vector<Waiter>& waiters, std::int32_t pid, std::int32_t tid, std::int64_t* since) {
    auto it = std::find_if(waiters.begin(), waiters.end(),
                           [&](const Waiter& w) { return w.pid == pid && w.tid == tid; });
    if (it != waiters.end()) {
        if (since != nullptr) {
            *since = it->since;
        }
        waiters.erase(it);
    }
}

void addWaiter(std::vector<Waiter>& waiters, const Event& e) {
    removeWaiter(waiters, e.pid, e.tid, nullptr);
    waiters.push_back({e.pid, e.tid, e.ts});
}

} // namespace

ProcessState& StateModel::process(std::int32_t pid, std::int64_t ts) {
    auto [it, inserted] = state_.processes.try_emplace(pid);
    if (inserted) {
        it->second.pid = pid;
        it->second.since = ts;
        // A process we hear from before its Created event is evidently running.
        it->second.phase = ProcessPhase::Running;
    }
    return it->second;
}

void StateModel::block(const Event& e) {
    ProcessState& p = process(e.pid, e.ts);
    if (p.phase == ProcessPhase::Zombie || isFinal(p.phase)) {
        return;
    }
    p.phase = ProcessPhase::Blocked;
    p.blockedOn = e.object;
    p.blockedBy = e.type == EventType::Blocked ? static_cast<EventType>(e.arg) : e.type;
    p.since = e.ts;
}

void StateModel::unblock(std::int32_t pid, std::uint64_t object, std::int64_t ts) {
    auto it = state_.processes.find(pid);
    if (it == state_.processes.end()) {
        process(pid, ts);
        return;
    }
    ProcessState& p = it->second;
    if (p.phase == ProcessPhase::Blocked && (object == 0 || p.blockedOn == object)) {
        p.phase = ProcessPhase::Running;
        p.blockedOn = 0;
        p.blockedBy = EventType::None;
        p.since = ts;
    } else if (p.phase == ProcessPhase::Created) {
        p.phase = ProcessPhase::Running;
        p.since = ts;
    }
}

void StateModel::unblockAllOn(std::uint64_t object, std::int64_t ts) {
    for (auto& [pid, p] : state_.processes) {
        if (p.phase == ProcessPhase::Blocked && p.blockedOn == object) {
            unblock(pid, object, ts);
        }
    }
}

ApplyEffect StateModel::apply(const Event& e, std::uint64_t seq) {
    ApplyEffect effect;
    state_.ts = e.ts;
    state_.seq = seq;
    const auto target = static_cast<std::int32_t>(e.object);
    switch (e.type) {
    case EventType::ProcessCreated: {
        auto [it, inserted] = state_.processes.try_emplace(target);
        ProcessState& p = it->second;
        p.pid = target;
        p.parentPid = e.pid;
        if (inserted) {
            p.phase = ProcessPhase::Created;
            p.since = e.ts;
        }
        break;
    }
    case EventType::ProcessStarted: {
        ProcessState& p = process(target, e.ts);
        p.parentPid = static_cast<std::int32_t>(e.arg);
        if (p.phase == ProcessPhase::Created) {
            p.phase = ProcessPhase::Running;
            p.since = e.ts;
        }
        break;
    }
    case EventType::ProcessExited:
    case EventType::ProcessZombie: {
        ProcessState& p = process(target, e.ts);
        if (e.type == EventType::ProcessExited) {
            p.exitCode = e.signedArg();
            p.exitKnown = true;
        }
        if (p.phase != ProcessPhase::Zombie && !isFinal(p.phase)) {
            p.phase = ProcessPhase::Zombie;
            p.blockedOn = 0;
            p.blockedBy = EventType::None;
            p.since = e.ts;
        }
        break;
    }
    case EventType::ProcessReaped: {
        ProcessState& p = process(target, e.ts);
        p.exitCode = e.signedArg();
        p.exitKnown = true;
        if (!isFinal(p.phase)) {
            p.phase = ProcessPhase::Reaped;
            p.blockedOn = 0;
            p.blockedBy = EventType::None;
            p.since = e.ts;
        }
        break;
    }
    case EventType::Blocked:
    case EventType::ConditionWait:
    case EventType::EventWait:
    case EventType::BarrierWait:
        block(e);
        break;
    case EventType::Running:
        // A wait that ended without the resource (a timeout) leaves the waiter lists too.
        if (auto it = state_.locks.find(e.object); it != state_.locks.end()) {
            removeWaiter(it->second.waiters, e.pid, e.tid, nullptr);
        }
        if (auto it = state_.semaphores.find(e.object); it != state_.semaphores.end()) {
            removeWaiter(it->second.waiters, e.pid, e.tid, nullptr);
        }
        unblock(e.pid, e.object, e.ts);
        break;
    case EventType::ConditionWake:
    case EventType::EventWake:
        unblock(e.pid, e.object, e.ts);
        break;
    case EventType::BarrierPass:
    case EventType::BarrierBroken:
        unblockAllOn(e.object, e.ts);
        break;
    case EventType::LockWait: {
        LockState& l = state_.locks[e.object];
        addWaiter(l.waiters, e);
        block(e);
        break;
    }
    case EventType::LockAcquire: {
        LockState& l = state_.locks[e.object];
        std::int64_t since = -1;
        removeWaiter(l.waiters, e.pid, e.tid, &since);
        const bool outermost = l.ownerPid == 0 || l.depth == 0;
        l.ownerPid = e.pid;
        l.ownerTid = e.tid;
        l.depth = static_cast<std::uint32_t>(e.arg == 0 ? 1 : e.arg);
        if (outermost) {
            l.acquiredAt = e.ts;
            l.acquisitions += 1;
            effect.acquired = true;
            effect.lock = e.object;
            if (since >= 0) {
                l.contended += 1;
                effect.contended = true;
                effect.waitNs = e.ts - since;
            } else {
                effect.waitNs = 0;
            }
        }
        unblock(e.pid, e.object, e.ts);
        break;
    }
    case EventType::LockRelease: {
        LockState& l = state_.locks[e.object];
        l.depth = static_cast<std::uint32_t>(e.arg);
        if (e.arg == 0) {
            effect.released = true;
            effect.lock = e.object;
            effect.holdNs = l.ownerPid != 0 ? e.ts - l.acquiredAt : -1;
            l.ownerPid = 0;
            l.ownerTid = 0;
        }
        break;
    }
    case EventType::LockAbandoned:
        break; // the lock stays owned by the dead process: that is the point of showing it
    case EventType::SemaphoreWait: {
        SemaphoreState& s = state_.semaphores[e.object];
        addWaiter(s.waiters, e);
        block(e);
        break;
    }
    case EventType::SemaphoreAcquire:
    case EventType::SemaphoreRelease: {
        SemaphoreState& s = state_.semaphores[e.object];
        s.value = e.signedArg();
        if (e.type == EventType::SemaphoreAcquire) {
            removeWaiter(s.waiters, e.pid, e.tid, nullptr);
            unblock(e.pid, e.object, e.ts);
        }
        break;
    }
    case EventType::QueuePut:
        state_.queues[e.object].depth += 1;
        unblock(e.pid, e.object, e.ts); // a put that had blocked on a full queue goes on
        break;
    case EventType::QueueGet: {
        // Not clamped at 0: a consumer's QueueGet can reach the trace a few microseconds before
        // the QueueFeederWrite of the bytes it read (the feeder emits after its write returns).
        // Counting exactly makes the balance right again with the writer's event; a view clamps.
        QueueState& q = state_.queues[e.object];
        q.depth -= 1;
        q.pipeBytes -= e.signedArg();
        unblock(e.pid, e.object, e.ts);
        break;
    }
    case EventType::QueueFeederWrite:
        state_.queues[e.object].pipeBytes += e.signedArg();
        break;
    case EventType::QueueFeederBlocked:
        state_.queues[e.object].feederBlocked = true;
        break;
    case EventType::QueueFeederUnblocked:
        state_.queues[e.object].feederBlocked = false;
        break;
    case EventType::PipeSend:
        state_.pipes[e.object].bytes += e.signedArg();
        unblock(e.pid, e.object, e.ts);
        break;
    case EventType::PipeRecv: {
        PipeState& p = state_.pipes[e.object];
        p.bytes -= e.signedArg(); // not clamped, for the same reason as QueueGet

        unblock(e.pid, e.object, e.ts);
        break;
    }
    case EventType::EventsDropped:
        state_.droppedMarked += e.arg;
        break;
    default:
        // Pool, manager, object, condition notify, event set/clear and error events carry no
        // state of their own here; the event log shows them.
        break;
    }
    return effect;
}

} // namespace forkscope
