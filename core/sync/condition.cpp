#include "condition.h"

#include "owner_record.h"
#include "process/errors.h"

#include <climits>

namespace forkscope {

struct Condition::State {
    std::atomic<std::uint32_t> sequence{0}; ///< bumped by every notify; waiters sleep on it
    std::atomic<std::uint32_t> waiters{0};  ///< lets notify skip the wake syscall when nobody sleeps
};

Condition::Condition() {
    create();
}

Condition::Condition(Lock lock) : lock_(std::move(lock)) {
    create();
}

Condition::Condition(RLock lock) : lock_(std::move(lock)) {
    create();
}

void Condition::create() {
    auto [region, state] = SharedRegion::make<State>("forkscope-condition");
    region_ = std::move(region);
    state_ = state;
}

void Condition::bind() {
    state_ = region_.as<State>("Condition");
}

bool Condition::acquire(bool block, Timeout timeout) {
    return std::visit([&](auto& lock) { return lock.acquire(block, timeout); }, lock_);
}

void Condition::release() {
    std::visit([](auto& lock) { lock.release(); }, lock_);
}

void Condition::checkHeld(const char* operation) const {
    const bool held = std::visit([](const auto& lock) { return lock.heldByCaller(); }, lock_);
    if (!held) {
        throw ProcessError(std::string("Condition.") + operation + " by " + describeCaller() +
                           " without holding its lock (acquire the condition first)");
    }
}

bool Condition::wait(Timeout timeout) {
    checkHeld("wait()");
    // Read the sequence while still holding the lock: a notify after our release changes it, so
    // the futex wait below returns at once instead of missing it.
    const std::uint32_t seen = state_->sequence.load();
    state_->waiters.fetch_add(1);
    const std::uint32_t saved = std::visit([](auto& lock) { return lock.releaseForWait(); }, lock_);
    const Deadline deadline = Deadline::after(timeout);
    bool notified = false;
    for (;;) {
        if (state_->sequence.load() != seen) {
            notified = true;
            break;
        }
        if (!futexWait(state_->sequence, seen, deadline)) {
            notified = state_->sequence.load() != seen;
            break;
        }
    }
    state_->waiters.fetch_sub(1);
    std::visit([saved](auto& lock) { lock.reacquireAfterWait(saved); }, lock_);
    return notified;
}

void Condition::notify(int n) {
    checkHeld("notify()");
    state_->sequence.fetch_add(1);
    if (n > 0 && state_->waiters.load() > 0) {
        futexWake(state_->sequence, n);
    }
}

void Condition::notifyAll() {
    checkHeld("notifyAll()");
    state_->sequence.fetch_add(1);
    if (state_->waiters.load() > 0) {
        futexWake(state_->sequence, INT_MAX);
    }
}

} // namespace forkscope
