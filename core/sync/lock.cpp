#include "lock.h"

#include "events/emit.h"
#include "lock_tracing.h"
#include "owner_record.h"
#include "process/errors.h"
#include "timed_mutex_lock.h"

namespace forkscope {

struct Lock::State {
    boost::interprocess::interprocess_mutex mutex;
    OwnerRecord owner;
    std::uint64_t traceId = 0; ///< written once by the creator, before any other process sees it
};

Lock::Lock(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-lock");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::Lock, name, 1);
}

void Lock::bind() {
    state_ = region_.as<State>("Lock");
}

bool Lock::acquire(bool block, Timeout timeout) {
    if (block && !timeout && state_->owner.heldByCaller()) {
        throw ProcessError(
            "Lock.acquire() by " + describeCaller() +
            ", which already holds this non-recursive lock: it would wait forever (use RLock)");
    }
    const std::uint64_t id = state_->traceId;
    if (!acquireTraced(
            id, state_->owner, block, timeout, [&] { return state_->mutex.try_lock(); },
            [&] { return lockInterprocessMutex(state_->mutex, true, timeout); })) {
        return false;
    }
    state_->owner.claim();
    trace::emit(EventType::LockAcquire, id, 1);
    return true;
}

void Lock::release() {
    if (!state_->owner.heldByCaller()) {
        if (state_->owner.pid() == 0) {
            throw ProcessError("Lock.release() by " + describeCaller() +
                               ": the lock is not held (released more often than acquired)");
        }
        throw ProcessError("Lock.release() by " + describeCaller() + ": the lock is held by " +
                           state_->owner.describe() +
                           ", and a process-shared mutex may only be released by its owner");
    }
    // Emitted while still holding: the next owner's LockAcquire comes after it in time, so the
    // trace never shows two owners at once.
    trace::emit(EventType::LockRelease, state_->traceId, 0);
    state_->owner.clear();
    state_->mutex.unlock();
}

pid_t Lock::ownerPid() const {
    return state_->owner.pid();
}

pid_t Lock::ownerTid() const {
    return state_->owner.tid();
}

bool Lock::isAbandoned() const {
    return state_->owner.abandoned();
}

bool Lock::heldByCaller() const {
    return state_->owner.heldByCaller();
}

std::uint64_t Lock::traceId() const {
    return state_->traceId;
}

std::uint32_t Lock::releaseForWait() {
    release();
    return 1;
}

void Lock::reacquireAfterWait(std::uint32_t /*saved*/) {
    acquire();
}

} // namespace forkscope
