#pragma once

// Waiting on a 32-bit word in shared memory (Linux futex, process-shared: no FUTEX_PRIVATE_FLAG).
//
// Event, Semaphore, Condition and the Barrier's internal wait are built on these two calls
// instead of a process-shared pthread condition variable: glibc's condvar makes a signaller wait
// for waiters of the previous group to leave (__condvar_quiesce_and_switch_g1), so a waiter that
// was SIGKILLed inside pthread_cond_wait can block notify()/set() forever. A futex wake never
// waits for anybody: a dead waiter is simply never woken.

#include <atomic>
#include <cstdint>
#include <ctime>
#include <optional>

namespace forkscope {

using Timeout = std::optional<double>; ///< seconds; nullopt = wait forever; <= 0 = do not wait

/// Longer than this (about 31 years, infinity included) is forever: no clock can add it without
/// overflowing (a double of seconds cast to time_t or to microseconds is undefined beyond that).
inline constexpr double kForeverSeconds = 1e9;
/// `timeout` with anything above kForeverSeconds made nullopt (forever).
[[nodiscard]] inline Timeout boundedTimeout(Timeout timeout) noexcept {
    return timeout && *timeout > kForeverSeconds ? Timeout{} : timeout;
}

/// An absolute CLOCK_MONOTONIC point (or none: forever), so that loops around spurious wakeups
/// do not stretch the caller's timeout.
class Deadline {
public:
    static Deadline after(Timeout timeout);
    static Deadline now() { return after(0.0); }
    [[nodiscard]] bool expired() const;
    /// Seconds left (>= 0), or nullopt when forever.
    [[nodiscard]] Timeout remaining() const;
    [[nodiscard]] const timespec* absolute() const noexcept { return at_ ? &*at_ : nullptr; }

private:
    std::optional<timespec> at_;
};

/// Sleeps while `word` holds `expected`, until woken or the deadline. Returns false only on
/// timeout; true means "woken, value changed, or interrupted": callers re-check their condition.
bool futexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline& deadline);
/// Wakes up to `count` waiters of `word`. Never blocks.
void futexWake(std::atomic<std::uint32_t>& word, int count);

} // namespace forkscope
