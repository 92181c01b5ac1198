#pragma once

// The slow-path events every lock emits (Lock, RLock, RobustLock): what a waiter reports just
// before it blocks. Kept out of the fast path: an acquisition that succeeds at once emits only
// LockAcquire (docs/tracing.md: a wait event means the fast path failed).

#include "events/emit.h"
#include "owner_record.h"

#include <cstdint>

namespace forkscope {

/// LockWait, and LockAbandoned when the recorded holder is a process that has ended (it will
/// never release: the waiter is about to block forever). The liveness check reads /proc, so it
/// runs only with tracing on and only on the slow path.
inline void traceLockWait(std::uint64_t id, const OwnerRecord& owner) {
    if (id == 0 || !trace::enabled()) {
        return;
    }
    trace::emit(EventType::LockWait, id);
    const pid_t holder = owner.pid();
    if (holder != 0 && processHasEnded(holder)) {
        trace::emit(EventType::LockAbandoned, id, static_cast<std::uint64_t>(holder));
    }
}

/// A non-blocking attempt first, then (if allowed to block) LockWait and the blocking attempt;
/// a wait that ends without the lock emits Running(arg=1). Returns whether the lock is held.
template <class TryLock, class BlockingLock>
bool acquireTraced(std::uint64_t id, const OwnerRecord& owner, bool block, Timeout timeout, TryLock tryLock,
                   BlockingLock blockingLock) {
    if (tryLock()) {
        return true;
    }
    if (!block || (timeout && *timeout <= 0)) {
        return false;
    }
    traceLockWait(id, owner);
    if (blockingLock()) {
        return true;
    }
    trace::emit(EventType::Running, id, 1);
    return false;
}

} // namespace forkscope
