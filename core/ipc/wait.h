#pragma once

#include "connection.h"
#include "process/fd_io.h"
#include "process/process.h"

#include <variant>
#include <vector>

namespace forkscope {

/// Something wait() can watch: a Connection (ready when a message or the peer's EOF is there)
/// or a Process (ready when it has ended, through its sentinel).
using Waitable = std::variant<Connection, Process>;

/// Python's multiprocessing.connection.wait(object_list, timeout): blocks until at least one
/// object is ready or `timeout` seconds pass (nullopt: no limit), and returns the ready ones
/// in the order given (empty on timeout). One poll(2) over all of them; nothing is read. A
/// process that has ended is ready even once joined; a quiet sentinel is confirmed with
/// exitCode() (which, as in Python, reaps a child that has just ended). A closed connection
/// or a process that was never started is an error.
[[nodiscard]] std::vector<Waitable> wait(const std::vector<Waitable>& objects,
                                         fdio::Timeout timeout = std::nullopt);

} // namespace forkscope
