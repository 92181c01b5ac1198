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

/// A queue's (or a pipe's) level right after an event changed it, as TraceData keeps it: 16
/// bytes, because a big trace has millions of them.
struct LevelPoint {
    std::int64_t ts = 0;
    std::int32_t depth = 0;     ///< items in the queue (0 for a plain pipe)
    std::int32_t pipeBytes = 0; ///< bytes written and not read yet
};

struct LevelSample {
    std::uint64_t object = 0;
    LevelPoint point;
};

/// One lock acquisition (its wait) or release (its hold), from StateModel's ApplyEffect, as
/// TraceData keeps it: 16 bytes (the duration as float milliseconds is plenty for a plot).
struct LockPoint {
    static constexpr std::uint32_t kAcquired = 1U << 31; ///< else a release
    static constexpr std::uint32_t kContended = 1U << 30;
    static constexpr std::uint32_t kPidMask = kContended - 1; ///< pids are below 2^22 on Linux

    std::int64_t ts = 0;
    float ms = 0; ///< how long the acquisition waited, or how long the lock was held
    std::uint32_t bits = 0;

    static LockPoint make(std::int64_t ts, std::int32_t pid, bool acquired, bool contended, std::int64_t ns) {
        return {ts, static_cast<float>(double(ns) / 1e6),
                (static_cast<std::uint32_t>(pid) & kPidMask) | (acquired ? kAcquired : 0U) |
                    (contended ? kContended : 0U)};
    }
    [[nodiscard]] std::int32_t pid() const noexcept { return static_cast<std::int32_t>(bits & kPidMask); }
    [[nodiscard]] bool acquired() const noexcept { return (bits & kAcquired) != 0; }
    [[nodiscard]] bool contended() const noexcept { return (bits & kContended) != 0; }
};

struct LockSample {
    std::uint64_t lock = 0;
    LockPoint point;
};

/// A pool's busy workers right after a task started or finished (or a busy worker died).
struct PoolPoint {
    std::int64_t ts = 0;
    std::int32_t busy = 0;     ///< workers running a task
    std::int32_t finished = 0; ///< 1 when a task finished here (the throughput counts these)
};

struct PoolSample {
    std::uint64_t pool = 0;
    PoolPoint point;
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
    std::vector<PoolSample> poolSamples;
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
