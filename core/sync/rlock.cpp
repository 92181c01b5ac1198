#include "rlock.h"

#include "events/emit.h"
#include "lock_tracing.h"
#include "owner_record.h"
#include "process/errors.h"
#include "timed_mutex_lock.h"

namespace forkscope {

struct RLock::State {
    boost::interprocess::interprocess_mutex mutex;
    OwnerRecord owner;
    std::uint32_t count = 0;   ///< only read and written by the holder, under the mutex
    std::uint64_t traceId = 0; ///< written once by the creator, before any other process sees it
};

RLock::RLock(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-rlock");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::RLock, name, 1);
}

void RLock::bind() {
    state_ = region_.as<State>("RLock");
}

bool RLock::acquire(bool block, Timeout timeout) {
    const std::uint64_t id = state_->traceId;
    if (state_->owner.heldByCaller()) {
        ++state_->count;
        trace::emit(EventType::LockAcquire, id, state_->count);
        return true;
    }
    if (!acquireTraced(
            id, state_->owner, block, timeout, [&] { return state_->mutex.try_lock(); },
            [&] { return lockInterprocessMutex(state_->mutex, true, timeout); })) {
        return false;
    }
    state_->owner.claim();
    state_->count = 1;
    trace::emit(EventType::LockAcquire, id, 1);
    return true;
}

void RLock::checkHeld(const char* operation) const {
    if (state_->owner.heldByCaller()) {
        return;
    }
    if (state_->owner.pid() == 0) {
        throw ProcessError(std::string("RLock.") + operation + " by " + describeCaller() +
                           ": the lock is not held (released more often than acquired)");
    }
    throw ProcessError(std::string("RLock.") + operation + " by " + describeCaller() +
                       ": the lock is held by " + state_->owner.describe() +
                       "; only the owner may release it");
}

void RLock::release() {
    checkHeld("release()");
    // Emitted while still holding (see Lock::release).
    trace::emit(EventType::LockRelease, state_->traceId, state_->count - 1);
    if (--state_->count == 0) {
        state_->owner.clear();
        state_->mutex.unlock();
    }
}

pid_t RLock::ownerPid() const {
    return state_->owner.pid();
}

pid_t RLock::ownerTid() const {
    return state_->owner.tid();
}

bool RLock::isAbandoned() const {
    return state_->owner.abandoned();
}

bool RLock::heldByCaller() const {
    return state_->owner.heldByCaller();
}

std::uint32_t RLock::recursionCount() const {
    return state_->owner.heldByCaller() ? state_->count : 0;
}

std::uint32_t RLock::releaseForWait() {
    checkHeld("release() for a Condition wait");
    const std::uint32_t saved = state_->count;
    trace::emit(EventType::LockRelease, state_->traceId, 0);
    state_->count = 0;
    state_->owner.clear();
    state_->mutex.unlock();
    return saved;
}

void RLock::reacquireAfterWait(std::uint32_t saved) {
    const std::uint64_t id = state_->traceId;
    acquireTraced(
        id, state_->owner, true, std::nullopt, [&] { return state_->mutex.try_lock(); },
        [&] {
            state_->mutex.lock();
            return true;
        });
    state_->owner.claim();
    state_->count = saved;
    trace::emit(EventType::LockAcquire, id, saved);
}

std::uint64_t RLock::traceId() const {
    return state_->traceId;
}

} // namespace forkscope
