#include "semaphore.h"

#include "events/emit.h"
#include "process/errors.h"

#include <climits>
#include <string>

namespace forkscope {

struct Semaphore::State {
    std::atomic<std::uint32_t> value;
    std::atomic<std::uint32_t> waiters{0}; ///< lets release() skip the wake syscall when nobody sleeps
    std::uint32_t maxValue;                ///< 0: unbounded
    std::uint64_t traceId = 0;             ///< written once by the creator, before any other process sees it
    State(std::uint32_t v, std::uint32_t m) : value(v), maxValue(m) {}
};

Semaphore::Semaphore(std::uint32_t value, std::string_view name) : Semaphore(value, 0, name) {}

Semaphore::Semaphore(std::uint32_t value, std::uint32_t maxValue, std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-semaphore", value, maxValue);
    region_ = std::move(region);
    state_ = state;
    state_->traceId =
        trace::objectId(maxValue == 0 ? ObjectKind::Semaphore : ObjectKind::BoundedSemaphore, name, maxValue);
}

void Semaphore::bind() {
    state_ = region_.as<State>("Semaphore");
}

bool Semaphore::acquire(bool block, Timeout timeout) {
    const Deadline deadline = block ? Deadline::after(timeout) : Deadline::now();
    const std::uint64_t id = state_->traceId;
    bool waited = false;
    for (;;) {
        std::uint32_t value = state_->value.load();
        while (value > 0) {
            if (state_->value.compare_exchange_weak(value, value - 1)) {
                trace::emit(EventType::SemaphoreAcquire, id, value - 1);
                return true;
            }
        }
        if (!block || deadline.expired()) {
            if (waited) {
                trace::emit(EventType::Running, id, 1);
            }
            return false;
        }
        if (!waited) {
            trace::emit(EventType::SemaphoreWait, id);
            waited = true;
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
    trace::emit(EventType::SemaphoreRelease, state_->traceId, value + n);
    if (state_->waiters.load() > 0) {
        futexWake(state_->value, n > INT_MAX ? INT_MAX : static_cast<int>(n));
    }
}

std::uint64_t Semaphore::traceId() const {
    return state_->traceId;
}

std::uint32_t Semaphore::getValue() const {
    return state_->value.load();
}

} // namespace forkscope
