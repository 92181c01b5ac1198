#pragma once

#include "connection.h"

#include <utility>

namespace forkscope {

/// Python's multiprocessing.Pipe(duplex). duplex: two ends of a socketpair, both ways.
/// Otherwise (receive-only, send-only) ends of a pipe(2). Both fds are close-on-exec; a child
/// gets an end by taking it as a start argument.
[[nodiscard]] std::pair<Connection, Connection> makePipe(bool duplex = true);

} // namespace forkscope
