#include "instrumentation_sync_event.h"

#include "sync/sync_event.h"

#include <stdexcept>

namespace forkscope::test {

std::uint64_t runSyncEventLocally() {
    SyncEvent event("event");
    event.set();
    if (!event.wait(0.0)) { // already set: no wait, no events
        throw std::runtime_error("a set Event did not report set");
    }
    event.clear();
    if (event.wait(0.01)) {
        throw std::runtime_error("a clear Event reported set");
    }
    return event.traceId();
}

} // namespace forkscope::test
