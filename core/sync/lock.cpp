#include "lock.h"

#include "events/emit.h"
#include "lock_tracing.h"
#include "owner_record.h"
#include "process/errors.h"

namespace forkscope {

struct Lock::State {
    /// 0 free, 1 held, 2 held and somebody may sleep on it (Drepper's "Futexes are tricky",
    /// mutex 3 — what glibc's default pthread mutex does too).
    std::atomic<std::uint32_t> word{0};
    OwnerRecord owner;
    std::uint64_t traceId = 0; ///< written once by the creator, before any other process sees it
};

namespace {
bool tryLockWord(std::atomic<std::uint32_t>& word) {
    std::uint32_t expected = 0;
    return word.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
}

/// Marks the word contended and sleeps until it was free at the moment of the exchange (then
/// the caller holds it), or the deadline passes.
bool lockWordWaiting(std::atomic<std::uint32_t>& word, const Deadline& deadline) {
    while (word.exchange(2, std::memory_order_acquire) != 0) {
        if (!futexWait(word, 2, deadline)) {
            // Timed out. One last look: left at 2, the word only costs the holder a wake call.
            return word.exchange(2, std::memory_order_acquire) == 0;
        }
    }
    return true;
}
} // namespace

Lock::Lock(std::string_view name) {
    auto [region, state] = SharedRegion::make<State>("forkscope-lock");
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::Lock, name, 1);
}

void Lock::bind() {
    state_ = region_.as<State>("Lock");
}

bool Lock::acquire(bool block, Timeout timeout) {
    refuseWaitingForItself(state_->owner, block, timeout, "Lock", " (use RLock)");
    const std::uint64_t id = state_->traceId;
    if (!acquireTraced(
            id, state_->owner, block, timeout, [&] { return tryLockWord(state_->word); },
            [&] { return lockWordWaiting(state_->word, Deadline::after(timeout)); })) {
        return false;
    }
    state_->owner.claim();
    trace::emit(EventType::LockAcquire, id, 1);
    return true;
}

void Lock::release() {
    // Any process or thread may release a held Lock, as the multiprocessing docs say (Python's
    // Lock is a semaphore): that is also how a Lock abandoned by a dead holder is recovered.
    auto notHeld = [] {
        return ProcessError("Lock.release() by " + describeCaller() +
                            ": the lock is not held (released more often than acquired)");
    };
    if (state_->word.load(std::memory_order_relaxed) == 0) {
        throw notHeld();
    }
    // Emitted while still held: the next owner's LockAcquire comes after it in time, so the
    // trace never shows two owners at once.
    trace::emit(EventType::LockRelease, state_->traceId, 0);
    state_->owner.clear();
    const std::uint32_t was = state_->word.exchange(0, std::memory_order_release);
    if (was == 2) {
        futexWake(state_->word, 1);
    } else if (was == 0) {
        throw notHeld(); // another release got there between the look above and the exchange
    }
}

pid_t Lock::ownerPid() const {
    return state_->owner.pid();
}

pid_t Lock::ownerTid() const {
    return state_->owner.tid();
}

bool Lock::isAbandoned() const {
    return state_->owner.abandoned();
}

bool Lock::heldByCaller() const {
    return state_->owner.heldByCaller();
}

std::uint64_t Lock::traceId() const {
    return state_->traceId;
}

std::uint32_t Lock::releaseForWait() {
    release();
    return 1;
}

void Lock::reacquireAfterWait(std::uint32_t /*saved*/) {
    acquire();
}

} // namespace forkscope
