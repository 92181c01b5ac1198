#include "lock.h"

#include "owner_record.h"
#include "process/errors.h"
#include "timed_mutex_lock.h"

namespace forkscope {

struct Lock::State {
    boost::interprocess::interprocess_mutex mutex;
    OwnerRecord owner;
};

Lock::Lock() {
    auto [region, state] = SharedRegion::make<State>("forkscope-lock");
    region_ = std::move(region);
    state_ = state;
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
    if (!lockInterprocessMutex(state_->mutex, block, timeout)) {
        return false;
    }
    state_->owner.claim();
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

std::uint32_t Lock::releaseForWait() {
    release();
    return 1;
}

void Lock::reacquireAfterWait(std::uint32_t /*saved*/) {
    acquire();
}

} // namespace forkscope
