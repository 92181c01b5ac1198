#include "pipe.h"

#include "events/emit.h"
#include "process/fd_io.h"

namespace forkscope {

namespace {
void label(std::pair<Connection, Connection>& ends, std::string_view name) {
    if (name.empty()) {
        return;
    }
    // The capacity (one fcntl/getsockopt) is only asked for when the monitor will record it.
    const std::uint64_t capacity = trace::enabled() ? ends.second.capacity() : 0;
    const std::uint64_t id = trace::objectId(ObjectKind::Pipe, name, capacity);
    ends.first.setTraceId(id);
    ends.second.setTraceId(id);
}
} // namespace

std::pair<Connection, Connection> makePipe(bool duplex, std::string_view name) {
    std::pair<Connection, Connection> ends;
    if (duplex) {
        auto [a, b] = fdio::makeSocketPair();
        ends = {Connection(std::move(a), true, true), Connection(std::move(b), true, true)};
    } else {
        auto [readEnd, writeEnd] = fdio::makePipe();
        ends = {Connection(std::move(readEnd), true, false), Connection(std::move(writeEnd), false, true)};
    }
    label(ends, name);
    return ends;
}

} // namespace forkscope
