#pragma once

#include "emit.h"

#include <cstdint>

namespace forkscope {

/// The Blocked/Running pair of a wait that has no wait event of its own (a queue get, a pipe
/// receive, a feeder flush at exit): begin() says "this thread is about to block on `object`
/// for `operation`", end() says the block is over. A WaitTrace destroyed without end(true),
/// an exception or a timeout, emits Running with arg 1: the wait ended without the resource.
/// Nothing happens for object 0 (untraced) or with tracing off.
class WaitTrace {
public:
    WaitTrace() = default;
    WaitTrace(const WaitTrace&) = delete;
    WaitTrace& operator=(const WaitTrace&) = delete;
    ~WaitTrace() { end(false); }

    void begin(std::uint64_t object, EventType operation) noexcept {
        if (object == 0 || object_ != 0 || !trace::enabled()) {
            return;
        }
        trace::emit(EventType::Blocked, object, static_cast<std::uint64_t>(operation));
        object_ = object;
    }
    void end(bool gotIt = true) noexcept {
        if (object_ != 0) {
            trace::emit(EventType::Running, object_, gotIt ? 0 : 1);
            object_ = 0;
        }
    }
    [[nodiscard]] bool active() const noexcept { return object_ != 0; }

private:
    std::uint64_t object_ = 0;
};

} // namespace forkscope
