#pragma once

#include <stdexcept>
#include <string>

namespace forkscope {

/// A file that cannot be read as a Forkscope trace: not SQLite, a different database, a newer
/// format version, truncated or damaged. The message is one line naming the file and the problem.
class TraceFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Writing a trace failed (disk full, permissions, misuse such as events out of time order).
class TraceWriteError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace forkscope
