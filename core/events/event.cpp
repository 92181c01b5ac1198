#include "event.h"

namespace forkscope {

std::string_view eventTypeName(EventType type) noexcept {
    switch (type) {
    case EventType::None:
        return "None";
    case EventType::ProcessCreated:
        return "ProcessCreated";
    case EventType::ProcessStarted:
        return "ProcessStarted";
    case EventType::ProcessExited:
        return "ProcessExited";
    case EventType::ProcessReaped:
        return "ProcessReaped";
    case EventType::ProcessZombie:
        return "ProcessZombie";
    case EventType::Blocked:
        return "Blocked";
    case EventType::Running:
        return "Running";
    case EventType::QueuePut:
        return "QueuePut";
    case EventType::QueueGet:
        return "QueueGet";
    case EventType::QueueFeederWrite:
        return "QueueFeederWrite";
    case EventType::QueueFeederBlocked:
        return "QueueFeederBlocked";
    case EventType::QueueFeederUnblocked:
        return "QueueFeederUnblocked";
    case EventType::PipeSend:
        return "PipeSend";
    case EventType::PipeRecv:
        return "PipeRecv";
    case EventType::LockWait:
        return "LockWait";
    case EventType::LockAcquire:
        return "LockAcquire";
    case EventType::LockRelease:
        return "LockRelease";
    case EventType::LockAbandoned:
        return "LockAbandoned";
    case EventType::SemaphoreWait:
        return "SemaphoreWait";
    case EventType::SemaphoreAcquire:
        return "SemaphoreAcquire";
    case EventType::SemaphoreRelease:
        return "SemaphoreRelease";
    case EventType::ConditionWait:
        return "ConditionWait";
    case EventType::ConditionNotify:
        return "ConditionNotify";
    case EventType::ConditionWake:
        return "ConditionWake";
    case EventType::EventWait:
        return "EventWait";
    case EventType::EventSet:
        return "EventSet";
    case EventType::EventClear:
        return "EventClear";
    case EventType::EventWake:
        return "EventWake";
    case EventType::BarrierWait:
        return "BarrierWait";
    case EventType::BarrierPass:
        return "BarrierPass";
    case EventType::BarrierBroken:
        return "BarrierBroken";
    case EventType::PoolTaskQueued:
        return "PoolTaskQueued";
    case EventType::PoolTaskStarted:
        return "PoolTaskStarted";
    case EventType::PoolTaskFinished:
        return "PoolTaskFinished";
    case EventType::PoolWorkerReplaced:
        return "PoolWorkerReplaced";
    case EventType::ManagerCallBegin:
        return "ManagerCallBegin";
    case EventType::ManagerCallEnd:
        return "ManagerCallEnd";
    case EventType::ObjectCreated:
        return "ObjectCreated";
    case EventType::Error:
        return "Error";
    case EventType::HelperEnded:
        return "HelperEnded";
    case EventType::EventsDropped:
        return "EventsDropped";
    }
    return "Unknown";
}

bool isKnownEventType(std::uint16_t value) noexcept {
    return value != 0 && eventTypeName(static_cast<EventType>(value)) != "Unknown";
}

std::string_view helperRoleWord(HelperRole role) noexcept {
    switch (role) {
    case HelperRole::Forkserver:
        return "forkserver";
    case HelperRole::ManagerServer:
        return "manager's server";
    case HelperRole::ResourceTracker:
        return "resource tracker";
    case HelperRole::Unknown:
        break;
    }
    return "helper process";
}

std::string_view objectKindName(ObjectKind kind) noexcept {
    switch (kind) {
    case ObjectKind::Unknown:
        return "Unknown";
    case ObjectKind::Process:
        return "Process";
    case ObjectKind::Queue:
        return "Queue";
    case ObjectKind::SimpleQueue:
        return "SimpleQueue";
    case ObjectKind::JoinableQueue:
        return "JoinableQueue";
    case ObjectKind::Pipe:
        return "Pipe";
    case ObjectKind::Lock:
        return "Lock";
    case ObjectKind::RLock:
        return "RLock";
    case ObjectKind::Semaphore:
        return "Semaphore";
    case ObjectKind::BoundedSemaphore:
        return "BoundedSemaphore";
    case ObjectKind::Condition:
        return "Condition";
    case ObjectKind::Event:
        return "Event";
    case ObjectKind::Barrier:
        return "Barrier";
    case ObjectKind::Pool:
        return "Pool";
    case ObjectKind::Manager:
        return "Manager";
    case ObjectKind::SharedMemory:
        return "SharedMemory";
    case ObjectKind::Value:
        return "Value";
    case ObjectKind::ThreadMutex:
        return "ThreadMutex";
    case ObjectKind::ShmQueue:
        return "ShmQueue";
    case ObjectKind::RobustLock:
        return "RobustLock";
    }
    return "Unknown";
}

std::string_view objectKindWord(ObjectKind kind) noexcept {
    switch (kind) {
    case ObjectKind::Queue:
        return "queue";
    case ObjectKind::SimpleQueue:
        return "simple queue";
    case ObjectKind::JoinableQueue:
        return "joinable queue";
    case ObjectKind::Pipe:
        return "pipe";
    case ObjectKind::Lock:
        return "lock";
    case ObjectKind::RLock:
        return "rlock";
    case ObjectKind::Semaphore:
        return "semaphore";
    case ObjectKind::BoundedSemaphore:
        return "bounded semaphore";
    case ObjectKind::Condition:
        return "condition";
    case ObjectKind::Event:
        return "event";
    case ObjectKind::Barrier:
        return "barrier";
    case ObjectKind::Pool:
        return "pool";
    case ObjectKind::Manager:
        return "manager";
    case ObjectKind::SharedMemory:
        return "shared memory";
    case ObjectKind::Value:
        return "value";
    case ObjectKind::Process:
        return "process";
    case ObjectKind::ShmQueue:
        return "shared-memory queue";
    case ObjectKind::RobustLock:
        return "robust lock";
    case ObjectKind::ThreadMutex:
        return "mutex";
    case ObjectKind::Unknown:
        break;
    }
    return "object";
}

} // namespace forkscope
