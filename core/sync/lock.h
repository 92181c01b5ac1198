#pragma once

#include "futex.h"
#include "shared_region.h"

#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace forkscope {

/// A non-recursive lock shared between processes (Python's multiprocessing.Lock).
///
/// State in a SharedRegion: a futex word (free / held / held with sleepers: the algorithm of
/// glibc's default pthread mutex, so the uncontended path is one compare-and-swap, as in the
/// pthread mutex the benchmark limit measures) and an OwnerRecord, so a lock left held by a dead
/// process is detectable (isAbandoned()). Copies, and the object a child receives, refer to the
/// same lock.
///
/// As the multiprocessing docs say of Lock, "any process or thread may release it" (Python's
/// Lock is a semaphore): so may it here, which is also how an abandoned Lock is freed. A pthread
/// mutex could not allow that (only its owner may unlock it); RLock keeps the owner rule.
class Lock {
public:
    /// A new, unlocked lock. `name` labels it in a trace; trace::kUntraced ("") makes it a
    /// silent building block of another primitive (no events).
    explicit Lock(std::string_view name = "lock");

    /// Python's acquire(block=True, timeout=None): true when the lock was acquired. Blocking
    /// forever on a lock the caller already holds throws ProcessError (it could never return).
    bool acquire(bool block = true, Timeout timeout = std::nullopt);
    /// Releases the lock, whoever holds it (any process or thread may, as in Python). Throws
    /// ProcessError when it is not held (Python's ValueError).
    void release();

    // BasicLockable / Lockable, for std::lock_guard, std::unique_lock, std::scoped_lock.
    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

    /// The holder's pid / tid, 0 when unlocked.
    [[nodiscard]] pid_t ownerPid() const;
    [[nodiscard]] pid_t ownerTid() const;
    /// The lock is held by a process that has ended (zombie included): nobody will release it.
    [[nodiscard]] bool isAbandoned() const;
    [[nodiscard]] bool heldByCaller() const;
    /// The trace object id (the same in every process that holds the lock), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    /// For Condition: releases the lock (the caller holds it) and returns what to restore.
    std::uint32_t releaseForWait();
    void reacquireAfterWait(std::uint32_t saved);

    template <class Archive> void save(Archive& ar) const { ar(region_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
    }

    friend bool operator==(const Lock& a, const Lock& b) noexcept { return a.state_ == b.state_; }

private:
    struct State;
    void bind();
    SharedRegion region_;
    State* state_ = nullptr;
};

} // namespace forkscope
