#include "pipe.h"

#include "process/fd_io.h"

namespace forkscope {

std::pair<Connection, Connection> makePipe(bool duplex) {
    if (duplex) {
        auto [a, b] = fdio::makeSocketPair();
        return {Connection(std::move(a), true, true), Connection(std::move(b), true, true)};
    }
    auto [readEnd, writeEnd] = fdio::makePipe();
    return {Connection(std::move(readEnd), true, false), Connection(std::move(writeEnd), false, true)};
}

} // namespace forkscope
