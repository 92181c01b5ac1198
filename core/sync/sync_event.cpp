#include "sync_event.h"

#include "events/emit.h"

#include <climits>

namespace forkscope {

struct SyncEvent::State {
    std::atomic<std::uint32_t> flag{0};
    std::atomic<std::uint32_t> sets{0};    ///< set() calls (wrapping): the futex word waiters sleep on
    std::atomic<std::uint32_t> waiters{0}; ///< a dead waiter leaves it high: only costs a wake call
    std::uint64_t traceId = 0;             ///< written once by the creator, before any other process sees it
};

SyncEvent::SyncEvent(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-event");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::Event, name);
}

void SyncEvent::bind() {
    state_ = region_.as<State>("Event");
}

void SyncEvent::set() {
    state_->flag.store(1);
    // After the flag: a waiter that sees the count move sees the flag set (unless cleared since).
    state_->sets.fetch_add(1);
    trace::emit(EventType::EventSet, state_->traceId);
    if (state_->waiters.load() > 0) {
        futexWake(state_->sets, INT_MAX);
    }
}

void SyncEvent::clear() {
    state_->flag.store(0);
    trace::emit(EventType::EventClear, state_->traceId);
}

std::uint64_t SyncEvent::traceId() const {
    return state_->traceId;
}

bool SyncEvent::isSet() const {
    return state_->flag.load() != 0;
}

std::uint32_t SyncEvent::waiting() const {
    return state_->waiters.load();
}

bool SyncEvent::wait(Timeout timeout) {
    if (state_->flag.load() != 0) {
        return true;
    }
    const std::uint64_t id = state_->traceId;
    trace::emit(EventType::EventWait, id);
    const Deadline deadline = Deadline::after(timeout);
    auto woke = [&](bool set, bool timedOut) {
        trace::emit(EventType::EventWake, id, timedOut ? 1 : 0);
        return set;
    };
    for (;;) {
        const std::uint32_t seen = state_->sets.load();
        if (state_->flag.load() != 0) {
            return woke(true, false);
        }
        // Counted before the futex looks at `sets` (both seq_cst): a set() that does not see
        // this waiter has already moved `sets`, so the futex does not sleep.
        state_->waiters.fetch_add(1);
        const bool beforeDeadline = futexWait(state_->sets, seen, deadline);
        state_->waiters.fetch_sub(1);
        const bool set = state_->flag.load() != 0;
        if (state_->sets.load() != seen) {
            return woke(set, false); // a set() came; the flag may be cleared again by now
        }
        if (!beforeDeadline) {
            return woke(set, true);
        }
        // Woken by a signal or spuriously: sleep again.
    }
}

} // namespace forkscope
