#pragma once

#include <stdexcept>

namespace forkscope {

/// get() found nothing within its timeout (or at once, without blocking): Python's queue.Empty.
class QueueEmptyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// put() found no room within its timeout (or at once, without blocking): Python's queue.Full.
class QueueFullError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace forkscope
