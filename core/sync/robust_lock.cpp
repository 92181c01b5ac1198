#include "robust_lock.h"

#include "events/emit.h"
#include "lock_tracing.h"
#include "owner_record.h"
#include "process/errors.h"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <pthread.h>

namespace forkscope {

struct RobustLock::State {
    pthread_mutex_t mutex;
    OwnerRecord owner;
    std::uint64_t traceId = 0; ///< written once by the creator, before any other process sees it

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

RobustLock::RobustLock(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-robust-lock");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::RobustLock, name, 1);
}

void RobustLock::bind() {
    state_ = region_.as<State>("RobustLock");
}

bool RobustLock::acquire(bool block, Timeout timeout) {
    timeout = boundedTimeout(timeout);
    refuseWaitingForItself(state_->owner, block, timeout, "RobustLock", "");
    const std::uint64_t id = state_->traceId;
    // A try first in every case: only when it fails does the caller wait (and say so).
    int rc = ::pthread_mutex_trylock(&state_->mutex);
    const bool mayWait = block && !(timeout && *timeout <= 0);
    if (rc == EBUSY && mayWait) {
        traceLockWait(id, state_->owner);
    }
    if (rc == EBUSY && mayWait && !timeout) {
        rc = ::pthread_mutex_lock(&state_->mutex);
    } else if (rc == EBUSY && mayWait) {
        // Try first, then pthread_mutex_timedlock (CLOCK_REALTIME) rather than
        // pthread_mutex_clocklock (CLOCK_MONOTONIC): ThreadSanitizer (GCC 12) does not intercept
        // clocklock, nor model EOWNERDEAD from timedlock, and would then report our unlock as an
        // unlock of an unlocked mutex. The trylock sees a dead owner in the common case.
        timespec until{};
        ::clock_gettime(CLOCK_REALTIME, &until);
        const double seconds = std::max(0.0, *timeout);
        until.tv_sec += static_cast<time_t>(seconds);
        until.tv_nsec +=
            static_cast<long>((seconds - static_cast<double>(static_cast<time_t>(seconds))) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec += 1;
            until.tv_nsec -= 1000000000L;
        }
        rc = ::pthread_mutex_timedlock(&state_->mutex, &until);
    }
    if (rc == EBUSY || rc == ETIMEDOUT) {
        if (mayWait) {
            trace::emit(EventType::Running, id, 1);
        }
        return false;
    }
    recovered_ = false;
    deadOwner_ = 0;
    if (rc == EOWNERDEAD) {
        // We hold the mutex; mark it consistent so it stays usable after our release.
        deadOwner_ = state_->owner.pid();
        recovered_ = true;
        trace::emit(EventType::LockAbandoned, id, static_cast<std::uint64_t>(deadOwner_));
        const int consistent = ::pthread_mutex_consistent(&state_->mutex);
        if (consistent != 0) {
            throw OsError("pthread_mutex_consistent after the holder of a RobustLock died", consistent);
        }
    } else if (rc != 0) {
        throw OsError("RobustLock.acquire() by " + describeCaller(), rc);
    }
    state_->owner.claim();
    trace::emit(EventType::LockAcquire, id, 1);
    return true;
}

void RobustLock::release() {
    if (!state_->owner.heldByCaller()) {
        throw ProcessError("RobustLock.release() by " + describeCaller() + ": the lock is held by " +
                           state_->owner.describe());
    }
    // Emitted while still holding (see Lock::release).
    trace::emit(EventType::LockRelease, state_->traceId, 0);
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

std::uint64_t RobustLock::traceId() const {
    return state_->traceId;
}

bool RobustLock::heldByCaller() const {
    return state_->owner.heldByCaller();
}

} // namespace forkscope
