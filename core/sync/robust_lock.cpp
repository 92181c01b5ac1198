#include "robust_lock.h"

#include "owner_record.h"
#include "process/errors.h"

#include <cerrno>
#include <pthread.h>

namespace forkscope {

struct RobustLock::State {
    pthread_mutex_t mutex;
    OwnerRecord owner;

    State() {
        pthread_mutexattr_t attr;
        ::pthread_mutexattr_init(&attr);
        ::pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
        ::pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
        const int rc = ::pthread_mutex_init(&mutex, &attr);
        ::pthread_mutexattr_destroy(&attr);
        if (rc != 0) {
            throw OsError("pthread_mutex_init of a robust process-shared mutex", rc);
        }
    }
};

RobustLock::RobustLock() {
    auto [region, state] = SharedRegion::make<State>("forkscope-robust-lock");
    region_ = std::move(region);
    state_ = state;
}

void RobustLock::bind() {
    state_ = region_.as<State>("RobustLock");
}

bool RobustLock::acquire(bool block, Timeout timeout) {
    int rc = 0;
    if (!block || (timeout && *timeout <= 0)) {
        rc = ::pthread_mutex_trylock(&state_->mutex);
    } else if (!timeout) {
        rc = ::pthread_mutex_lock(&state_->mutex);
    } else {
        const Deadline deadline = Deadline::after(timeout);
        rc = ::pthread_mutex_clocklock(&state_->mutex, CLOCK_MONOTONIC, deadline.absolute());
    }
    if (rc == EBUSY || rc == ETIMEDOUT) {
        return false;
    }
    recovered_ = false;
    deadOwner_ = 0;
    if (rc == EOWNERDEAD) {
        // We hold the mutex; mark it consistent so it stays usable after our release.
        deadOwner_ = state_->owner.pid();
        recovered_ = true;
        const int consistent = ::pthread_mutex_consistent(&state_->mutex);
        if (consistent != 0) {
            throw OsError("pthread_mutex_consistent after the holder of a RobustLock died", consistent);
        }
    } else if (rc != 0) {
        throw OsError("RobustLock.acquire() by " + describeCaller(), rc);
    }
    state_->owner.claim();
    return true;
}

void RobustLock::release() {
    if (!state_->owner.heldByCaller()) {
        throw ProcessError("RobustLock.release() by " + describeCaller() + ": the lock is held by " +
                           state_->owner.describe());
    }
    state_->owner.clear();
    const int rc = ::pthread_mutex_unlock(&state_->mutex);
    if (rc != 0) {
        throw OsError("RobustLock.release() by " + describeCaller(), rc);
    }
}

pid_t RobustLock::ownerPid() const {
    return state_->owner.pid();
}

bool RobustLock::isAbandoned() const {
    return state_->owner.abandoned();
}

bool RobustLock::heldByCaller() const {
    return state_->owner.heldByCaller();
}

} // namespace forkscope
