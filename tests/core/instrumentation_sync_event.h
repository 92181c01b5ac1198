#pragma once

// The synchronisation event (sync/sync_event.h, Python's multiprocessing.Event) in its own file:
// it was once also named forkscope::Event, like the trace record, and could not share a file with it.

#include <cstdint>

namespace forkscope::test {

/// Creates an Event named "event"; sets and clears it; waits 10 ms on the clear flag (a wait
/// that times out). Returns the event's trace id.
std::uint64_t runSyncEventLocally();

} // namespace forkscope::test
