#pragma once

#include "connection.h"

#include <string_view>
#include <utility>

namespace forkscope {

/// Python's multiprocessing.Pipe(duplex). duplex: two ends of a socketpair, both ways.
/// Otherwise (receive-only, send-only) ends of a pipe(2). Both fds are close-on-exec; a child
/// gets an end by taking it as a start argument.
///
/// Tracing: both ends share one object id (kind Pipe, capacity = the bytes that fit before a
/// writer blocks: Connection::capacity() of the sending end), registered under `name`;
/// trace::kUntraced ("") leaves the pipe silent (a Queue's internal pipe).
[[nodiscard]] std::pair<Connection, Connection> makePipe(bool duplex = true, std::string_view name = "pipe");

} // namespace forkscope
