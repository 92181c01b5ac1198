#pragma once

#include "events/event.h"
#include "events/event_sink.h"
#include "trace/system_state.h"

#include <QMetaType>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace forkscope {

/// A process entered a phase at ts (the replay rules of StateModel decided it).
struct PhaseChange {
    std::int32_t pid = 0;
    std::int64_t ts = 0;
    ProcessPhase phase = ProcessPhase::Created;
    std::uint64_t blockedOn = 0;
    EventType blockedBy = EventType::None;
};

/// A queue's (or a pipe's) level right after an event changed it.
struct LevelSample {
    std::uint64_t object = 0;
    std::int64_t ts = 0;
    double depth = 0;     ///< items in the queue (0 for a plain pipe)
    double pipeBytes = 0; ///< bytes written and not read yet
    bool feederBlocked = false;
};

/// One lock acquisition (its wait) or release (its hold), from StateModel's ApplyEffect.
struct LockSample {
    std::uint64_t lock = 0;
    std::int64_t ts = 0;
    std::int32_t pid = 0;
    bool acquired = false; ///< true: waitNs is set; false: a release, holdNs is set
    bool contended = false;
    std::int64_t waitNs = 0;
    std::int64_t holdNs = 0;
};

/// What the follower thread read from the trace since its last update. The GUI thread only
/// appends it to TraceData: every SQL query and every replay step happened in the follower.
struct TraceUpdate {
    std::uint64_t generation = 0; ///< which open() it belongs to (late updates of an old file are dropped)
    bool reset = false;           ///< the first update of a newly opened file
    std::uint64_t firstSeq = 1;   ///< seq of events[0]
    std::vector<Event> events;
    std::vector<PhaseChange> phases;
    std::vector<LevelSample> levels;
    std::vector<LockSample> lockSamples;
    std::vector<ProcessInfo> processes; ///< the whole (small) table, every update
    std::vector<ObjectInfo> objects;    ///< the whole (small) table, every update
    std::map<std::string, std::string> meta;
    bool finished = false;
    bool caughtUp = true;      ///< false: more events were waiting beyond this batch
    std::uint64_t lastSeq = 0; ///< the last seq in the file when this batch was read (for progress)
};

using TraceUpdatePtr = std::shared_ptr<const TraceUpdate>;

} // namespace forkscope

Q_DECLARE_METATYPE(forkscope::TraceUpdatePtr)
