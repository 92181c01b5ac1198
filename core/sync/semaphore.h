#pragma once

#include "futex.h"
#include "shared_region.h"

#include <cstdint>
#include <string_view>

namespace forkscope {

/// A counting semaphore shared between processes (Python's multiprocessing.Semaphore).
///
/// A futex word rather than Boost's interprocess_semaphore (sem_t): sem_t has no exact "release
/// unless it would exceed the bound" operation (BoundedSemaphore would have to check
/// sem_getvalue() and post separately, racing with other releasers), while a compare-exchange on
/// our own counter makes the bound exact. release() never blocks, even if a waiter died.
class Semaphore {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit Semaphore(std::uint32_t value = 1, std::string_view name = "semaphore");

    /// Python's acquire(block=True, timeout=None).
    bool acquire(bool block = true, Timeout timeout = std::nullopt);
    void release(std::uint32_t n = 1);
    /// The current value (Python's get_value()); a snapshot.
    [[nodiscard]] std::uint32_t getValue() const;
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

    template <class Archive> void save(Archive& ar) const { ar(region_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
    }

protected:
    /// maxValue 0: unbounded.
    Semaphore(std::uint32_t value, std::uint32_t maxValue, std::string_view name);

private:
    struct State;
    void bind();
    SharedRegion region_;
    State* state_ = nullptr;
};

} // namespace forkscope
