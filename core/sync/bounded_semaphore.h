#pragma once

#include "semaphore.h"

namespace forkscope {

/// A semaphore whose value may never exceed its initial value (Python's BoundedSemaphore):
/// release() above it throws ProcessError and leaves the value unchanged.
class BoundedSemaphore : public Semaphore {
public:
    /// `name` labels it in a trace; trace::kUntraced ("") makes it silent (no events).
    explicit BoundedSemaphore(std::uint32_t value = 1, std::string_view name = "bounded-semaphore");
};

} // namespace forkscope
