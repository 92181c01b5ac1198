#pragma once

#include "events/event.h"

#include <QString>

namespace forkscope {

class TraceData;

/// Says in plain words what one event means, with the names the trace gives processes and
/// objects: the caption line of presentation mode and the "what happened" column of the log.
class Narrator {
public:
    explicit Narrator(const TraceData& data) : data_(data) {}

    [[nodiscard]] QString describe(const Event& e) const;
    /// "waiting to join worker-0", "waiting for an item from results", ...
    [[nodiscard]] QString describeWait(EventType blockedBy, std::uint64_t object) const;

    [[nodiscard]] static QString formatBytes(std::uint64_t bytes);

private:
    const TraceData& data_;
};

} // namespace forkscope
