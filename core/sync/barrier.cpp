#include "barrier.h"

#include "events/emit.h"
#include "process/errors.h"

#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <climits>
#include <string>

namespace forkscope {

namespace {
// Python's threading.Barrier states.
constexpr int kFilling = 0;
constexpr int kDraining = 1;
constexpr int kResetting = -1;
constexpr int kBroken = -2;
} // namespace

// The counters are guarded by a Boost interprocess_mutex, held only for a few instructions
// (never while waiting). The waiting itself is a futex on `sequence`, bumped by every state
// change, so that a killed waiter can never block the others.
struct Barrier::State {
    boost::interprocess::interprocess_mutex mutex;
    std::atomic<std::uint32_t> sequence{0};
    int parties;
    int count = 0;
    int state = kFilling;
    bool hasTimeout;
    double timeout;
    std::uint64_t generation = 0; ///< generations passed, for BarrierPass
    std::uint64_t traceId = 0;    ///< written once by the creator, before any other process sees it
    State(int p, Timeout t) : parties(p), hasTimeout(t.has_value()), timeout(t.value_or(0)) {}
};

/// Holds the state mutex and waits on the sequence word with the mutex released.
class Barrier::Guard {
public:
    explicit Guard(State& s) : s_(s) { s_.mutex.lock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { s_.mutex.unlock(); }
    /// Returns false on timeout.
    bool waitForChange(const Deadline& deadline) {
        const std::uint32_t seen = s_.sequence.load();
        s_.mutex.unlock();
        bool changed = true;
        while (s_.sequence.load() == seen) {
            if (!futexWait(s_.sequence, seen, deadline)) {
                changed = s_.sequence.load() != seen;
                break;
            }
        }
        s_.mutex.lock();
        return changed;
    }
    void notifyAll() {
        s_.sequence.fetch_add(1);
        futexWake(s_.sequence, INT_MAX);
    }

private:
    State& s_;
};

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout, std::string_view name)
    : action_(std::make_shared<std::function<void()>>(std::move(action))) {
    if (parties < 1) {
        throw ProcessError("Barrier(" + std::to_string(parties) +
                           "): the number of parties must be at least 1");
    }
    auto [region, state] = SharedRegion::make<State>("forkscope-barrier", parties, timeout);
    region_ = std::move(region);
    state_ = state;
    state_->traceId = trace::objectId(ObjectKind::Barrier, name, static_cast<std::uint64_t>(parties));
}

void Barrier::bind() {
    state_ = region_.as<State>("Barrier");
}

int Barrier::wait(Timeout timeout) {
    if (!timeout && state_->hasTimeout) {
        timeout = state_->timeout;
    }
    Guard guard(*state_);
    // Python's _enter: wait for a draining or resetting generation to leave.
    while (state_->state == kDraining || state_->state == kResetting) {
        guard.waitForChange(Deadline::after(std::nullopt));
    }
    if (state_->state < 0) {
        throw BrokenBarrierError("Barrier.wait(): the barrier is broken (aborted or a wait timed out)");
    }
    const int index = state_->count++;
    const std::uint64_t id = state_->traceId;
    const auto leaveGeneration = [&] {
        // Python's _exit: the last to leave lets the next generation in.
        --state_->count;
        if (state_->count == 0 && (state_->state == kResetting || state_->state == kDraining)) {
            state_->state = kFilling;
            guard.notifyAll();
        }
    };
    if (index + 1 == state_->parties) {
        try {
            if (action_ && *action_) {
                (*action_)();
            }
        } catch (...) {
            state_->state = kBroken;
            trace::emit(EventType::BarrierBroken, id);
            guard.notifyAll();
            leaveGeneration();
            throw;
        }
        state_->state = kDraining;
        trace::emit(EventType::BarrierPass, id, ++state_->generation);
        guard.notifyAll();
        leaveGeneration();
        return index;
    }
    const Deadline deadline = Deadline::after(timeout);
    trace::emit(EventType::BarrierWait, id, static_cast<std::uint64_t>(index));
    while (state_->state == kFilling) {
        if (!guard.waitForChange(deadline) && state_->state == kFilling) {
            state_->state = kBroken;
            trace::emit(EventType::BarrierBroken, id);
            trace::emit(EventType::Running, id, 1);
            guard.notifyAll();
            leaveGeneration();
            throw BrokenBarrierError("Barrier.wait(): timed out after " +
                                     std::to_string(timeout.value_or(0)) + " s with " +
                                     std::to_string(index + 1) + " of " + std::to_string(state_->parties) +
                                     " parties; the barrier is now broken");
        }
    }
    if (state_->state < 0) {
        const bool wasReset = state_->state == kResetting;
        trace::emit(EventType::Running, id, 1);
        leaveGeneration();
        throw BrokenBarrierError(wasReset ? "Barrier.wait(): the barrier was reset while waiting"
                                          : "Barrier.wait(): the barrier was broken while waiting");
    }
    leaveGeneration();
    return index;
}

void Barrier::reset() {
    Guard guard(*state_);
    if (state_->count > 0) {
        if (state_->state == kFilling || state_->state == kBroken) {
            state_->state = kResetting; // the current waiters raise; the last to leave refills
        }
    } else {
        state_->state = kFilling;
    }
    guard.notifyAll();
}

void Barrier::abort() {
    Guard guard(*state_);
    state_->state = kBroken;
    trace::emit(EventType::BarrierBroken, state_->traceId);
    guard.notifyAll();
}

std::uint64_t Barrier::traceId() const {
    return state_->traceId;
}

int Barrier::parties() const {
    return state_->parties;
}

int Barrier::nWaiting() const {
    Guard guard(*state_);
    return state_->state == kFilling ? state_->count : 0;
}

bool Barrier::broken() const {
    Guard guard(*state_);
    return state_->state == kBroken;
}

} // namespace forkscope
