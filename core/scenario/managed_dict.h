#pragma once

#include "manager/container_proxies.h"
#include "manager/manager.h"

#include <memory>

namespace forkscope {

/// A scenario's `manager-dict`: in main, the Manager it started (which ends with main) and a
/// dict proxy; in a child, only the proxy, which is what travels as the start argument.
struct ManagedDict {
    std::shared_ptr<Manager> manager; ///< main only
    DictProxy proxy;

    template <class Archive> void serialize(Archive& ar) { ar(proxy); }
};

} // namespace forkscope
