#pragma once

// The synchronisation Event (sync/event.h) and the trace record (events/event.h) are both
// `forkscope::Event`, so no file can include both: the Event part of tst_instrumentation lives
// in its own translation unit behind this interface.
//
// It stays in this process: passing the Event to a child would instantiate the start-argument
// templates (Arg, TaskArgs::get, shared_ptr control blocks) for `forkscope::Event`, and the
// linker may then merge them with the same-named instantiations for the trace record (an ODR
// clash: the Event's destructor was seen to be skipped, leaking its memfd).

#include <cstdint>

namespace forkscope::test {

/// Creates an Event named "event"; sets and clears it; waits 10 ms on the clear flag (a wait
/// that times out). Returns the event's trace id.
std::uint64_t runSyncEventLocally();

} // namespace forkscope::test
