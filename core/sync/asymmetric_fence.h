#pragma once

// A store-then-load barrier split unevenly between two sides, for a protocol where one side
// (a publisher) runs its half on every operation and the other (a side about to sleep) runs its
// half rarely: Dekker's pattern "I store my flag, then load yours" needs a full fence on both
// sides, and on x86 that fence costs tens of nanoseconds each time — more than the rest of a
// shared-memory ring's put. With membarrier(2) the sleeper's half makes every running thread of
// the publishing processes execute a full barrier, so the publisher's half can be a compiler
// barrier (the technique of liburcu and folly's asymmetricLightBarrier, across processes:
// MEMBARRIER_CMD_GLOBAL_EXPEDITED).
//
// Correct in every combination: a process that could not register (old kernel, a seccomp filter)
// uses a full fence for its light half, and the heavy half always ends with a full fence too.

#include <atomic>

namespace forkscope {

class AsymmetricFence {
public:
    /// The publisher's half, after its store and before its load of the other side's flag.
    static void light() noexcept {
        if (state_.load(std::memory_order_relaxed) == State::Registered) [[likely]] {
            std::atomic_signal_fence(std::memory_order_seq_cst);
        } else {
            lightSlow();
        }
    }
    /// The light half where it is only a compiler barrier (this process registered): true.
    /// false, with no barrier at all, where it would be a call: the caller must use light().
    /// For a hot path that must not make a call.
    [[nodiscard]] static bool lightIfFree() noexcept {
        if (state_.load(std::memory_order_relaxed) == State::Registered) [[likely]] {
            std::atomic_signal_fence(std::memory_order_seq_cst);
            return true;
        }
        return false;
    }
    /// The sleeper's half, after it announced itself and before it re-checks. A system call
    /// (a few microseconds): call it only on the way to sleep. Throws OsError if the kernel
    /// refuses a barrier it said it supports.
    static void heavy();

private:
    enum class State : int { Unknown, Registered, Unavailable };
    /// Registers this process on first use (again in a forked child), then a full fence.
    static void lightSlow() noexcept;
    static void forgetAfterFork() noexcept;
    static const bool atforkRegistered_;
    static inline std::atomic<State> state_{State::Unknown};
};

} // namespace forkscope
