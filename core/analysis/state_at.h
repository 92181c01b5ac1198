#pragma once

#include "trace/system_state.h"
#include "trace/trace_reader.h"

#include <cstdint>

namespace forkscope {

/// "What was the state at time t": the latest keyframe at or before t, then a replay of the
/// events after it up to t (at most one keyframe interval of them), with the same StateModel
/// the writer used to make the keyframe. Works on a trace that is still growing.
class StateAt {
public:
    explicit StateAt(TraceReader& reader) : reader_(reader) {}

    /// The state after every event with time <= t. Before the first event: an empty state.
    [[nodiscard]] SystemState at(std::int64_t t);
    /// How many events the last at() replayed after its keyframe (for tests and benchmarks).
    [[nodiscard]] std::uint64_t lastReplayed() const noexcept { return lastReplayed_; }

private:
    TraceReader& reader_;
    std::uint64_t lastReplayed_ = 0;
};

/// Shorthand for StateAt(reader).at(t).
[[nodiscard]] inline SystemState stateAt(TraceReader& reader, std::int64_t t) {
    return StateAt(reader).at(t);
}

} // namespace forkscope
