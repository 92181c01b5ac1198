#pragma once

#include "futex.h"
#include "shared_region.h"

#include <cstdint>
#include <string_view>

namespace forkscope {

/// A flag processes can wait for (Python's multiprocessing.Event).
///
/// Two words and no lock: the flag, and a count of set() calls that waiters sleep on (a futex).
/// set() is two stores and a futex wake, so it never blocks, even when a waiter was killed in
/// the middle of wait() (Python's Event, built on a Condition, can hang in that case, and so can
/// one built on a process-shared pthread condition variable). Waiting on the count rather than
/// on the flag is what makes a pulse — set() then clear() at once — wake every waiter, as in
/// Python, where a woken wait() returns the flag as it is by then.
class SyncEvent {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit SyncEvent(std::string_view name = "event");

    void set();
    void clear();
    [[nodiscard]] bool isSet() const;
    /// Waits until set or the timeout; returns the flag (false on timeout), like Python. A wait
    /// woken by set() returns even if clear() came first (then false), as Python's does.
    bool wait(Timeout timeout = std::nullopt);
    /// How many are inside wait() now, across processes (a killed waiter stays counted: it only
    /// costs set() a futex wake).
    [[nodiscard]] std::uint32_t waiting() const;
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
};

} // namespace forkscope
