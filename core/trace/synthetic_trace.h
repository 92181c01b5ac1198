#pragma once

#include <cstdint>
#include <filesystem>

namespace forkscope {

/// What a synthetic trace contains besides its lock, queue and pipe traffic.
struct SyntheticTraceOptions {
    /// Names the 64 processes and registers every object (names, the queue pipes' capacity), so
    /// that a viewer shows what a recorded run would show.
    bool named = false;
    /// Adds a pool of 8 workers (the first 8 processes) running tasks: PoolTaskQueued by the
    /// first process, PoolTaskStarted/Finished by the workers, about one event in five.
    bool pool = false;
};

/// Writes a synthetic run of `events` events with the real TraceWriter (keyframes and all):
/// 64 processes taking turns on 8 locks, 4 queues and 4 pipes, a few microseconds apart. The
/// trace-seek benchmark (forkscope-cli bench) and the desktop app's benchmark
/// (forkscope-gui-bench) both measure on it. Deterministic: the same arguments give the same
/// events. Refuses to overwrite `path` (TraceWriter's rule).
void writeSyntheticTrace(const std::filesystem::path& path, std::uint64_t events,
                         const SyntheticTraceOptions& options = {});

} // namespace forkscope
