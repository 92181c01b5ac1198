#pragma once

#include "futex.h"
#include "lock.h"
#include "rlock.h"
#include "shared_region.h"

#include <cereal/types/variant.hpp>
#include <string_view>
#include <variant>

namespace forkscope {

/// A condition variable shared between processes (Python's multiprocessing.Condition), bound to
/// a Lock or an RLock (a new RLock by default, as in Python).
///
/// Built on a futex sequence word, not on Boost's interprocess_condition (a pthread condvar):
/// that one only works with its own mutex type (so not with an RLock whose recursion must be
/// released entirely during the wait), and glibc's notify can block forever on a waiter that
/// was killed inside the wait. Here notify() bumps the word and wakes futex sleepers, which never
/// blocks. Like pthread_cond_signal, notify(n) may occasionally wake more than n waiters (a
/// waiter that has released the lock but not yet slept sees the change): wait() can return
/// spuriously, so use waitFor(predicate).
///
/// wait(), waitFor() and notify*() without holding the lock throw ProcessError.
class Condition {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes the condition itself silent
    /// (its lock emits according to its own name).
    explicit Condition(std::string_view name = "condition");
    explicit Condition(Lock lock, std::string_view name = "condition");
    explicit Condition(RLock lock, std::string_view name = "condition");

    bool acquire(bool block = true, Timeout timeout = std::nullopt);
    void release();
    void lock() { acquire(); }
    bool try_lock() { return acquire(false); }
    void unlock() { release(); }

    /// Releases the lock, waits for a notification or the timeout, re-acquires the lock.
    /// Returns false if the timeout expired.
    bool wait(Timeout timeout = std::nullopt);
    /// Waits until predicate() is true or the timeout; returns the last value of predicate().
    template <class Predicate> bool waitFor(Predicate predicate, Timeout timeout = std::nullopt) {
        checkHeld("waitFor()");
        const Deadline deadline = Deadline::after(timeout);
        bool result = predicate();
        while (!result && !deadline.expired()) {
            wait(deadline.remaining());
            result = predicate();
        }
        return result;
    }
    void notify(int n = 1);
    void notifyAll();
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    template <class Archive> void save(Archive& ar) const { ar(region_, lock_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_, lock_);
        bind();
    }

private:
    struct State;
    void create(std::string_view name);
    void bind();
    void checkHeld(const char* operation) const;
    SharedRegion region_;
    State* state_ = nullptr;
    std::variant<RLock, Lock> lock_;
};

} // namespace forkscope
