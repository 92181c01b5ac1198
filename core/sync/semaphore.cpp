#include "semaphore.h"

#include "process/errors.h"

#include <climits>
#include <string>

namespace forkscope {

struct Semaphore::State {
    std::atomic<std::uint32_t> value;
    std::atomic<std::uint32_t> waiters{0}; ///< lets release() skip the wake syscall when nobody sleeps
    std::uint32_t maxValue;                ///< 0: unbounded
    State(std::uint32_t v, std::uint32_t m) : value(v), maxValue(m) {}
};

Semaphore::Semaphore(std::uint32_t value) : Semaphore(value, 0) {}

Semaphore::Semaphore(std::uint32_t value, std::uint32_t maxValue) {
    auto [region, state] = SharedRegion::make<State>("forkscope-semaphore", value, maxValue);
    region_ = std::move(region);
    state_ = state;
}

void Semaphore::bind() {
    state_ = region_.as<State>("Semaphore");
}

bool Semaphore::acquire(bool block, Timeout timeout) {
    const Deadline deadline = block ? Deadline::after(timeout) : Deadline::now();
    for (;;) {
        std::uint32_t value = state_->value.load();
        while (value > 0) {
            if (state_->value.compare_exchange_weak(value, value - 1)) {
                return true;
            }
        }
        if (!block || deadline.expired()) {
            return false;
        }
        // waiters++ before the futex re-checks value == 0, and release() does value++ before
        // reading waiters (both sequentially consistent): one of them sees the other.
        state_->waiters.fetch_add(1);
        futexWait(state_->value, 0, deadline);
        state_->waiters.fetch_sub(1);
    }
}

void Semaphore::release(std::uint32_t n) {
    std::uint32_t value = state_->value.load();
    for (;;) {
        if (state_->maxValue != 0 && value + n > state_->maxValue) {
            throw ProcessError("BoundedSemaphore.release(): value " + std::to_string(value) + " + " +
                               std::to_string(n) + " would exceed the initial value " +
                               std::to_string(state_->maxValue) + " (released too many times)");
        }
        if (state_->value.compare_exchange_weak(value, value + n)) {
            break;
        }
    }
    if (state_->waiters.load() > 0) {
        futexWake(state_->value, n > INT_MAX ? INT_MAX : static_cast<int>(n));
    }
}

std::uint32_t Semaphore::getValue() const {
    return state_->value.load();
}

} // namespace forkscope
