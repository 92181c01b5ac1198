#pragma once

#include "futex.h"
#include "shared_region.h"

#include <cstdint>
#include <string_view>
#include <sys/types.h>

namespace forkscope {

/// A recursive lock shared between processes (Python's multiprocessing.RLock): the holding
/// thread may acquire it again and must release it as often.
///
/// Built on a Boost interprocess_mutex plus our own owner record and recursion count rather
/// than Boost's interprocess_recursive_mutex, because Condition.wait() must release every level
/// at once and restore them afterwards, and the Boost type does not expose its count.
class RLock {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit RLock(std::string_view name = "rlock");

    bool acquire(bool block = true, Timeout timeout = std::nullopt);
    /// Throws ProcessError when the lock is not held, or held by another thread or process.
    void release();

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

    [[nodiscard]] pid_t ownerPid() const;
    [[nodiscard]] pid_t ownerTid() const;
    [[nodiscard]] bool isAbandoned() const;
    [[nodiscard]] bool heldByCaller() const;
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;
    /// How many times the caller holds the lock (0 if it does not).
    [[nodiscard]] std::uint32_t recursionCount() const;

    /// For Condition: releases every level (the caller holds the lock) and returns the count.
    std::uint32_t releaseForWait();
    void reacquireAfterWait(std::uint32_t saved);

    template <class Archive> void save(Archive& ar) const { ar(region_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
    }

    friend bool operator==(const RLock& a, const RLock& b) noexcept { return a.state_ == b.state_; }

private:
    struct State;
    void bind();
    void checkHeld(const char* operation) const;
    SharedRegion region_;
    State* state_ = nullptr;
};

} // namespace forkscope
