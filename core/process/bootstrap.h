#pragma once

#include "fd_table.h"
#include "runtime.h"
#include "task_args.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace forkscope {

class EventRing;

/// Everything a fresh image needs to become a child: who it is, which registered task to run,
/// its serialised arguments and how many fds travel with it. The fds themselves go beside it
/// (kept open across exec for spawn, SCM_RIGHTS for forkserver).
struct Bootstrap {
    static constexpr std::uint32_t kVersion = 2;
    std::uint32_t version = kVersion;
    runtime::Identity identity;
    std::string taskName;
    std::vector<SerializedArg> args;
    std::vector<int> fds; ///< the parent's fd numbers (spawn keeps them open at the same numbers)
    /// With tracing on: the indices in `fds` of the child's event ring (a memfd) and of the
    /// tracing channel (see events/tracer.h); -1 without tracing.
    std::int32_t traceRing = -1;
    std::int32_t traceChannel = -1;

    template <class Archive> void serialize(Archive& ar) {
        ar(version, identity, taskName, args, fds, traceRing, traceChannel);
    }
    /// Adds the child's ring and the tracing channel to the fds that travel (no-op for null).
    void attachTracing(const EventRing* ring);

    [[nodiscard]] std::vector<std::uint8_t> encode() const;
    /// Throws SerializationError naming what is wrong with a damaged bootstrap.
    [[nodiscard]] static Bootstrap decode(std::span<const std::uint8_t> bytes);
};

/// What Process::start() asks a launcher to run.
struct LaunchRequest {
    const Target& target;
    const Args& args;
    runtime::Identity identity;
    /// The child's event ring when tracing is on (a fork child adopts it); may be null.
    std::unique_ptr<EventRing>* traceRing = nullptr;
};

/// Serialises a request for a fresh image, or throws SerializationError saying which part
/// (the target or which argument) cannot travel and why.
[[nodiscard]] Bootstrap makeBootstrap(const LaunchRequest& request, StartMethod method);

/// In a fresh child: decode the bootstrap, run its task and exit. `received` are the passed fds
/// as numbered in this process (forkserver); without them the fds kept open across exec at the
/// parent's numbers are used (spawn) and made close-on-exec, so they do not leak further.
[[noreturn]] void runBootstrap(std::span<const std::uint8_t> bytes,
                               std::optional<std::vector<int>> received = std::nullopt);

} // namespace forkscope
