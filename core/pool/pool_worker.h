#pragma once

#include "process/fd_handle.h"
#include "process/task_args.h"
#include "process/task_registry.h"

#include <cereal/types/string.hpp>
#include <cstdint>
#include <string>

namespace forkscope::detail {

/// Frame kinds of the pool's private protocol.
///   parent → worker: Chunk  u8 kind, u64 seq, u64 fnId, [u64 invoker, u32 size, closure bytes if
///                           fnId == 0], u32 count, the arguments (one cereal archive)
///                    Stop   u8 kind
///   worker → parent: Result u8 kind, u64 seq, u8 ok, then the results (one cereal archive) or
///                           u32 offset, text type, text message
namespace wire {
constexpr std::uint8_t kChunk = 1;
constexpr std::uint8_t kStop = 2;
constexpr std::uint8_t kResult = 3;
} // namespace wire

/// What a worker needs besides its initializer's arguments. It travels as the worker's last
/// start argument, so the initializer sees initargs at positions 0..n-1 as given.
struct PoolWorkerConfig {
    FdHandle socket;
    std::string initializer;     ///< registered name (spawn, forkserver); empty: none or a closure
    std::uint64_t maxTasks = 0;  ///< maxtasksperchild; 0: unlimited
    bool acceptClosures = false; ///< only a fork worker shares the parent's code addresses
    std::uint64_t traceId = 0;   ///< the pool's trace object id (PoolTaskStarted/Finished)

    template <class Archive> void serialize(Archive& ar) {
        ar(socket, initializer, maxTasks, acceptClosures, traceId);
    }
};

/// A pool worker's body: ignore SIGINT (the parent handles Ctrl-C), run the initializer, then
/// serve chunks until told to stop, until its task budget is spent, or until the parent goes
/// away. Returns normally, so the process ends with exit code 0.
void runPoolWorker(const PoolWorkerConfig& config, const Target* initializer, TaskArgs& args);

/// The registered target of spawn/forkserver workers (its config is the last argument).
void forkscopePoolWorkerMain(TaskArgs& args);

} // namespace forkscope::detail
