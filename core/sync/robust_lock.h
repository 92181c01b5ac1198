#pragma once

#include "futex.h"
#include "shared_region.h"

#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace forkscope {

/// A lock that survives the death of its holder (no Python counterpart): a robust,
/// process-shared pthread mutex. When the holder dies, the kernel marks the mutex and the next
/// acquirer gets it with EOWNERDEAD; acquire() then calls pthread_mutex_consistent() and
/// reports the recovery (lastAcquireRecoveredFromDeadOwner()), so the caller knows the data
/// the lock protected may be half-updated.
///
/// Raw pthread rather than Boost: Boost.Interprocess has no robust mutex
/// (pthread_mutexattr_setrobust / EOWNERDEAD / pthread_mutex_consistent).
class RobustLock {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit RobustLock(std::string_view name = "robust-lock");

    bool acquire(bool block = true, Timeout timeout = std::nullopt);
    void release();

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

    /// Whether this handle's last successful acquire() took the lock over from a dead holder.
    [[nodiscard]] bool lastAcquireRecoveredFromDeadOwner() const noexcept { return recovered_; }
    /// The pid of that dead holder (0 if the last acquire was ordinary).
    [[nodiscard]] pid_t lastDeadOwnerPid() const noexcept { return deadOwner_; }

    [[nodiscard]] pid_t ownerPid() const;
    [[nodiscard]] bool isAbandoned() const;
    [[nodiscard]] bool heldByCaller() const;
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    template <class Archive> void save(Archive& ar) const { ar(region_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
    }

private:
    struct State;
    void bind();
    SharedRegion region_;
    State* state_ = nullptr;
    bool recovered_ = false;
    pid_t deadOwner_ = 0;
};

} // namespace forkscope
