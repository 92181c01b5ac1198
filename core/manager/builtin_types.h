#pragma once

namespace forkscope {

/// Registers the built-in managed types (Python's SyncManager registrations). Called by the
/// server image before it serves, so that a static library never drops them.
void registerContainerTypes(); ///< dict, list, Namespace, Value, Array, Queue
void registerSyncTypes();      ///< Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier

} // namespace forkscope
