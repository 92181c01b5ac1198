#pragma once

// The event and object vocabulary on its own, without the Event record: a primitive includes
// only this (through emit.h), which keeps it free of the name `forkscope::Event` (the record)
// where `forkscope::Event` was once also the synchronisation primitive (now SyncEvent).

#include <cstdint>
#include <string_view>

namespace forkscope {

/// What happened. The numbers are part of the trace file format: append new types, never
/// renumber. docs/tracing.md gives each type's meaning, its `object` and its `arg`.
///
/// Conventions every emitter follows (the analysis relies on them):
/// - `object` is the id returned by trace::registerObject() for the primitive the event is
///   about; for process events it is the *pid* of the process concerned (ids below 2^32 are pids,
///   registered ids are always >= 2^40, see trace::registerObject).
/// - `Event::pid`/`Event::tid` are the emitter's; the emit API fills them.
/// - "Wait" events are emitted only when the fast path failed and the caller is about to block,
///   so an Acquire without a preceding Wait by the same thread is an uncontended acquisition.
enum class EventType : std::uint16_t {
    None = 0,
    // Processes. object = pid of the child (emitted by the parent) or own pid (by the child).
    ProcessCreated = 1, ///< parent, after the launcher returned; arg = start method (StartMethod)
    ProcessStarted = 2, ///< child, before its target runs; arg = the logical parent's pid
    ProcessExited = 3,  ///< child, right before _exit; arg = exit code (i64)
    ProcessReaped = 4,  ///< parent, when join/isAlive/exitCode collected the status; arg = exit code
    ProcessZombie = 5,  ///< monitor, when /proc/<pid>/stat first shows Z; emitted with the monitor's pid
    // Thread/process state. object = what the thread waits for (a registered id or a pid).
    Blocked = 10, ///< about to block; arg = the EventType of the operation that blocks (e.g. QueueGet)
    Running = 11, ///< the block of the matching Blocked ended; arg = 1 if it ended by timeout
    // Queues (Python's Queue: buffer + feeder thread + pipe). object = queue id.
    QueuePut = 20,             ///< an item entered the queue (buffer); arg = its pickled size in bytes
    QueueGet = 21,             ///< an item left the pipe in a consumer; arg = its size in bytes
    QueueFeederWrite = 22,     ///< the feeder wrote an item to the pipe; arg = bytes written
    QueueFeederBlocked = 23,   ///< the feeder's pipe write would block (pipe full); arg = bytes pending
    QueueFeederUnblocked = 24, ///< the blocked feeder write completed; arg = 0
    // Pipes / Connections. object = pipe id (one id for both ends).
    PipeSend = 30, ///< arg = bytes written into the pipe
    PipeRecv = 31, ///< arg = bytes read out of the pipe
    // Locks (Lock, RLock). object = lock id.
    LockWait = 40,      ///< the fast path failed; the thread blocks; arg = 0
    LockAcquire = 41,   ///< the thread owns the lock now; arg = recursion depth after (1 for a Lock)
    LockRelease = 42,   ///< arg = recursion depth after (0: the lock is free)
    LockAbandoned = 43, ///< the owner died holding it (detected by whoever noticed); arg = owner pid
    // Semaphores (Semaphore, BoundedSemaphore). object = semaphore id.
    SemaphoreWait = 50,    ///< arg = value seen (0)
    SemaphoreAcquire = 51, ///< arg = value after the decrement
    SemaphoreRelease = 52, ///< arg = value after the increment
    // Conditions. object = condition id.
    ConditionWait = 60,   ///< the thread released the lock and sleeps; arg = 0
    ConditionNotify = 61, ///< arg = number of waiters asked to wake (n; notify_all: waiters count)
    ConditionWake = 62,   ///< a waiter woke (and holds the lock again); arg = 1 if by timeout
    // Events. object = event id.
    EventWait = 70,  ///< the flag was clear; the thread sleeps
    EventSet = 71,   ///< arg = 0
    EventClear = 72, ///< arg = 0
    EventWake = 73,  ///< arg = 1 if by timeout
    // Barriers. object = barrier id.
    BarrierWait = 80,   ///< arg = arrival index (0-based)
    BarrierPass = 81,   ///< the generation passed; arg = generation number
    BarrierBroken = 82, ///< arg = 0
    // Pools. object = pool id.
    PoolTaskQueued = 90,     ///< arg = task id
    PoolTaskStarted = 91,    ///< emitted by the worker; arg = task id
    PoolTaskFinished = 92,   ///< emitted by the worker; arg = task id
    PoolWorkerReplaced = 93, ///< arg = the pid of the worker that replaced the dead one
    // Managers. object = manager (or proxy referent) id.
    ManagerCallBegin = 100, ///< arg = method id (registered name id)
    ManagerCallEnd = 101,   ///< arg = 0 on success, 1 if the call raised
    // Objects and errors.
    ObjectCreated = 110, ///< object = the new id; arg = ObjectKind (the name is in the objects table)
    Error = 111,         ///< object = where it happened; arg = errno or an error code
    /// A parent reaped one of the engine's helper processes (HelperRole) that had ended by a
    /// signal or with a failure code — a fault the survivors must be told of. object = its pid;
    /// arg = exit code (i64; negative: the signal); aux = HelperRole.
    HelperEnded = 112,
    // Observation itself.
    EventsDropped = 120, ///< the emitter's ring was full; arg = events lost just before this one
};

/// The engine's helper processes: fresh images that a run depends on without running its code.
enum class HelperRole : std::uint32_t {
    Unknown = 0,
    Forkserver = 1,
    ManagerServer = 2,
    ResourceTracker = 3,
};

/// What kind of primitive an object id stands for.
enum class ObjectKind : std::uint16_t {
    Unknown = 0,
    Process = 1,
    Queue = 2,
    SimpleQueue = 3,
    JoinableQueue = 4,
    Pipe = 5,
    Lock = 6,
    RLock = 7,
    Semaphore = 8,
    BoundedSemaphore = 9,
    Condition = 10,
    Event = 11,
    Barrier = 12,
    Pool = 13,
    Manager = 14,
    SharedMemory = 15,
    Value = 16,
    ShmQueue = 17,
    RobustLock = 18,
    ThreadMutex = 19, ///< an in-process mutex (std::mutex): never shared between processes
};

/// "LockAcquire", ... ; "Unknown(n)"-style text is left to the caller for unknown values.
[[nodiscard]] std::string_view eventTypeName(EventType type) noexcept;
[[nodiscard]] std::string_view objectKindName(ObjectKind kind) noexcept;
/// The kind as a word in a sentence ("queue", "bounded semaphore", "mutex").
[[nodiscard]] std::string_view objectKindWord(ObjectKind kind) noexcept;
/// The helper as a word in a sentence ("forkserver", "manager's server", "resource tracker";
/// "helper process" for Unknown).
[[nodiscard]] std::string_view helperRoleWord(HelperRole role) noexcept;
/// Whether the value names a known EventType (a trace reader checks this).
[[nodiscard]] bool isKnownEventType(std::uint16_t value) noexcept;

/// The first id a registered object can have: everything below is a pid.
inline constexpr std::uint64_t kFirstObjectId = std::uint64_t{1} << 40;

} // namespace forkscope
