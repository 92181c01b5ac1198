#include "condition.h"

#include "events/emit.h"
#include "owner_record.h"
#include "process/errors.h"

#include <climits>

namespace forkscope {

struct Condition::State {
    std::atomic<std::uint32_t> sequence{0}; ///< bumped by every notify; waiters sleep on it
    std::atomic<std::uint32_t> waiters{0};  ///< lets notify skip the wake syscall when nobody sleeps
    std::uint64_t traceId = 0;              ///< written once by the creator, before any other process sees it
};

Condition::Condition(std::string_view name) {
    create(name);
}

Condition::Condition(Lock lock, std::string_view name) : lock_(std::move(lock)) {
    create(name);
}

Condition::Condition(RLock lock, std::string_view name) : lock_(std::move(lock)) {
    create(name);
}

void Condition::create(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-condition");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::Condition, name);
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
    const std::uint64_t id = state_->traceId;
    trace::emit(EventType::ConditionWait, id);
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
    trace::emit(EventType::ConditionWake, id, notified ? 0 : 1);
    return notified;
}

void Condition::notify(int n) {
    checkHeld("notify()");
    state_->sequence.fetch_add(1);
    trace::emit(EventType::ConditionNotify, state_->traceId, n > 0 ? static_cast<std::uint64_t>(n) : 0);
    if (n > 0 && state_->waiters.load() > 0) {
        futexWake(state_->sequence, n);
    }
}

std::uint64_t Condition::traceId() const {
    return state_->traceId;
}

void Condition::notifyAll() {
    checkHeld("notifyAll()");
    state_->sequence.fetch_add(1);
    trace::emit(EventType::ConditionNotify, state_->traceId, state_->waiters.load());
    if (state_->waiters.load() > 0) {
        futexWake(state_->sequence, INT_MAX);
    }
}

} // namespace forkscope
