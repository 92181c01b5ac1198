#pragma once

#include "ipc/connection.h"

namespace forkscope {

/// Both ends of a Pipe(), handed to a scenario process as one start argument; the action says
/// which end it uses.
struct PipeEnds {
    Connection first;
    Connection second;

    [[nodiscard]] Connection& end(std::int64_t index) { return index == 0 ? first : second; }
    template <class Archive> void serialize(Archive& ar) { ar(first, second); }
};

} // namespace forkscope
