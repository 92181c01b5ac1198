#pragma once

#include "events/event.h"

#include <cstdint>
#include <map>
#include <span>
#include <vector>

namespace forkscope {

/// What a process is doing, as far as the events tell.
enum class ProcessPhase : std::uint8_t {
    Created = 0, ///< its parent launched it; it has not reported in yet
    Running = 1,
    Blocked = 2, ///< waiting on ProcessState::blockedOn
    Zombie = 3,  ///< ended (ProcessExited, or /proc showed Z) but its parent has not reaped it
    Reaped = 4,  ///< gone for good
};

[[nodiscard]] const char* processPhaseName(ProcessPhase phase) noexcept;

struct Waiter {
    std::int32_t pid = 0;
    std::int32_t tid = 0;
    std::int64_t since = 0;
    friend bool operator==(const Waiter&, const Waiter&) = default;
};

struct ProcessState {
    std::int32_t pid = 0;
    std::int32_t parentPid = 0;
    ProcessPhase phase = ProcessPhase::Created;
    std::uint64_t blockedOn = 0;           ///< object id (or pid) while Blocked
    EventType blockedBy = EventType::None; ///< the operation that blocks
    std::int64_t since = 0;                ///< when the phase began
    std::int64_t exitCode = 0;
    bool exitKnown = false;
    friend bool operator==(const ProcessState&, const ProcessState&) = default;
};

struct LockState {
    std::int32_t ownerPid = 0; ///< 0: free
    std::int32_t ownerTid = 0;
    std::uint32_t depth = 0; ///< RLock recursion depth
    std::int64_t acquiredAt = 0;
    std::vector<Waiter> waiters;
    std::uint64_t acquisitions = 0;
    std::uint64_t contended = 0; ///< acquisitions that had to wait
    friend bool operator==(const LockState&, const LockState&) = default;
};

struct QueueState {
    std::int64_t depth = 0;     ///< items put and not yet got
    std::int64_t pipeBytes = 0; ///< bytes the feeder wrote that no consumer has read yet
    bool feederBlocked = false;
    friend bool operator==(const QueueState&, const QueueState&) = default;
};

struct PipeState {
    std::int64_t bytes = 0; ///< bytes sent and not yet received
    friend bool operator==(const PipeState&, const PipeState&) = default;
};

struct SemaphoreState {
    std::int64_t value = 0;
    std::vector<Waiter> waiters;
    friend bool operator==(const SemaphoreState&, const SemaphoreState&) = default;
};

/// The whole observed system at one instant: what state_at(t) answers and what a keyframe stores.
struct SystemState {
    std::int64_t ts = 0;   ///< time of the last applied event
    std::uint64_t seq = 0; ///< seq of the last applied event (0: none)
    std::map<std::int32_t, ProcessState> processes;
    std::map<std::uint64_t, LockState> locks;
    std::map<std::uint64_t, QueueState> queues;
    std::map<std::uint64_t, PipeState> pipes;
    std::map<std::uint64_t, SemaphoreState> semaphores;
    std::uint64_t droppedMarked = 0; ///< events lost, as announced by EventsDropped markers

    [[nodiscard]] int zombieCount() const noexcept;
    friend bool operator==(const SystemState&, const SystemState&) = default;

    /// A compact binary form for keyframes.
    [[nodiscard]] std::vector<std::uint8_t> encode() const;
    /// Throws TraceFormatError("...") for damaged bytes; never allocates more than the input
    /// could describe.
    [[nodiscard]] static SystemState decode(std::span<const std::uint8_t> bytes);
};

} // namespace forkscope
