#pragma once

#include "system_state.h"

namespace forkscope {

/// What one event did that a metric needs and the resulting state cannot show afterwards.
struct ApplyEffect {
    std::uint64_t lock = 0;   ///< the lock concerned, when acquired/released is set
    bool acquired = false;    ///< a lock acquisition (outermost for an RLock)
    bool contended = false;   ///< ... that had to wait (a LockWait preceded it)
    std::int64_t waitNs = -1; ///< ... and waited this long
    bool released = false;    ///< a lock became free
    std::int64_t holdNs = -1; ///< ... after being held this long
};

/// The replay rules: how each event changes the SystemState. The trace writer runs it to
/// produce keyframes; state_at and the series run it to replay from a keyframe. One function
/// for all three, so a keyframe and a replay can never disagree.
class StateModel {
public:
    StateModel() = default;
    explicit StateModel(SystemState start) : state_(std::move(start)) {}

    ApplyEffect apply(const Event& e, std::uint64_t seq);
    [[nodiscard]] const SystemState& state() const noexcept { return state_; }

private:
    ProcessState& process(std::int32_t pid, std::int64_t ts);
    void block(const Event& e);
    void unblock(std::int32_t pid, std::uint64_t object, std::int64_t ts);
    void unblockAllOn(std::uint64_t object, std::int64_t ts);

    SystemState state_;
};

} // namespace forkscope
