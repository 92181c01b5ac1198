#pragma once

#include "broken_barrier_error.h"
#include "futex.h"
#include "shared_region.h"

#include <functional>
#include <memory>
#include <string_view>

namespace forkscope {

/// A barrier for a fixed number of parties in any processes (Python's multiprocessing.Barrier,
/// i.e. threading.Barrier over shared state; same algorithm: filling, draining, resetting and
/// broken states).
///
/// wait() returns an index 0..parties-1 (the last to arrive gets parties-1 and runs the action).
/// A wait that times out breaks the barrier; abort() breaks it; reset() returns it to the
/// initial state, breaking current waiters. Waiting on a broken barrier throws
/// BrokenBarrierError.
///
/// The action is a function of this process. Under fork the child inherits it; a Barrier with an
/// action cannot be sent to a spawn/forkserver child (SerializationError), since code does not
/// travel, just as Python cannot pickle a lambda.
class Barrier {
public:
    /// A one-party barrier (what a child default-constructs before receiving one).
    Barrier() : Barrier(1) {}
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit Barrier(int parties, std::function<void()> action = {}, Timeout timeout = std::nullopt,
                     std::string_view name = "barrier");

    /// Waits for all parties; timeout defaults to the one given at construction.
    int wait(Timeout timeout = std::nullopt);
    void reset();
    void abort();

    [[nodiscard]] int parties() const;
    [[nodiscard]] int nWaiting() const;
    [[nodiscard]] bool broken() const;
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    template <class Archive> void save(Archive& ar) const {
        if (action_ && *action_) {
            throw SerializationError(
                "a Barrier with an action cannot be passed to a spawn or forkserver child: "
                "the action is code of this process (use the fork start method, or "
                "no action)");
        }
        ar(region_);
    }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
        action_.reset();
    }

private:
    struct State;
    class Guard;
    void bind();
    SharedRegion region_;
    State* state_ = nullptr;
    std::shared_ptr<std::function<void()>> action_;
};

} // namespace forkscope
