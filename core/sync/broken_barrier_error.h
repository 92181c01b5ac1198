#pragma once

#include <stdexcept>

namespace forkscope {

/// A Barrier was broken (abort(), a wait timed out, the action threw) or reset while waiting:
/// the analogue of Python's threading.BrokenBarrierError.
class BrokenBarrierError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace forkscope
