#pragma once

#include "event.h"

#include <cstdint>
#include <span>
#include <string>
#include <sys/types.h>

namespace forkscope {

/// A process as the monitor learnt about it (from the ring its parent registered).
struct ProcessInfo {
    std::int32_t pid = 0;
    std::int32_t parentPid = 0;
    std::string name;
    std::int32_t startMethod = -1; ///< StartMethod, -1 for the host
    std::int64_t firstSeenNs = 0;
};

/// A registered primitive (trace::registerObject).
struct ObjectInfo {
    std::uint64_t id = 0;
    ObjectKind kind = ObjectKind::Unknown;
    std::string name;
    std::uint64_t capacity = 0; ///< pipe capacity in bytes, queue maxsize, semaphore bound; 0 = none
    std::int32_t creatorPid = 0;
    std::int64_t createdNs = 0;
};

/// Where the monitor puts what it drains. The trace writer is the real one; keeping the monitor
/// behind this interface keeps core/events independent of the file format (events → trace).
/// All calls come from the monitor thread, one at a time.
class EventSink {
public:
    virtual ~EventSink() = default;
    /// Events in non-decreasing timestamp order.
    virtual void appendEvents(std::span<const Event> events) = 0;
    virtual void recordProcess(const ProcessInfo& process) = 0;
    virtual void recordObject(const ObjectInfo& object) = 0;
    /// The total number of events the process's ring has dropped so far.
    virtual void recordDrops(std::int32_t pid, std::uint64_t dropped) = 0;
};

} // namespace forkscope
