#include "event.h"

#include <climits>

namespace forkscope {

struct Event::State {
    std::atomic<std::uint32_t> flag{0};
    std::atomic<std::uint32_t> waiters{0}; ///< a dead waiter leaves it high: only costs a wake call
};

Event::Event() {
    auto [region, state] = SharedRegion::make<State>("forkscope-event");
    region_ = std::move(region);
    state_ = state;
}

void Event::bind() {
    state_ = region_.as<State>("Event");
}

void Event::set() {
    state_->flag.store(1);
    if (state_->waiters.load() > 0) {
        futexWake(state_->flag, INT_MAX);
    }
}

void Event::clear() {
    state_->flag.store(0);
}

bool Event::isSet() const {
    return state_->flag.load() != 0;
}

bool Event::wait(Timeout timeout) {
    const Deadline deadline = Deadline::after(timeout);
    while (state_->flag.load() == 0) {
        state_->waiters.fetch_add(1);
        const bool woken = futexWait(state_->flag, 0, deadline);
        state_->waiters.fetch_sub(1);
        if (!woken) {
            return state_->flag.load() != 0;
        }
    }
    return true;
}

} // namespace forkscope
