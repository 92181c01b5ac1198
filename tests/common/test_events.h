#pragma once
// Hand-made trace events for tests that write a trace without running processes.
#include "events/event.h"

#include <cstdint>

namespace forkscope::test {

/// An event of the process's main thread (tid = pid).
inline Event ev(std::int64_t ts, std::int32_t pid, EventType type, std::uint64_t object,
                std::uint64_t arg = 0) {
    Event e;
    e.ts = ts;
    e.pid = pid;
    e.tid = pid;
    e.type = type;
    e.object = object;
    e.arg = arg;
    return e;
}

} // namespace forkscope::test
