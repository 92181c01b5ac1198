#include "sync_event.h"

#include "events/emit.h"

#include <climits>

namespace forkscope {

struct SyncEvent::State {
    std::atomic<std::uint32_t> flag{0};
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
    trace::emit(EventType::EventSet, state_->traceId);
    if (state_->waiters.load() > 0) {
        futexWake(state_->flag, INT_MAX);
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

bool SyncEvent::wait(Timeout timeout) {
    if (state_->flag.load() != 0) {
        return true;
    }
    const std::uint64_t id = state_->traceId;
    trace::emit(EventType::EventWait, id);
    const Deadline deadline = Deadline::after(timeout);
    while (state_->flag.load() == 0) {
        state_->waiters.fetch_add(1);
        const bool woken = futexWait(state_->flag, 0, deadline);
        state_->waiters.fetch_sub(1);
        if (!woken) {
            const bool set = state_->flag.load() != 0;
            trace::emit(EventType::EventWake, id, set ? 0 : 1);
            return set;
        }
    }
    trace::emit(EventType::EventWake, id, 0);
    return true;
}

} // namespace forkscope
