#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// What happens when a worker dies abruptly (killed, crashed) while the pool runs.
enum class WorkerDeathPolicy {
    /// multiprocessing.Pool: the worker is replaced, the task it was running is lost and its
    /// result never arrives (python/cpython#96062) — only a caller's timeout ends the wait.
    Python,
    /// concurrent.futures.ProcessPoolExecutor: every pending result fails with BrokenPoolError
    /// naming the worker, its pid and exit code; the pool refuses new work.
    Broken,
};

enum class PoolState { Running, Closed, Terminated, Broken };

/// One worker as the parent sees it.
struct WorkerStats {
    std::string name;
    pid_t pid = 0;
    bool busy = false; ///< it holds at least one dispatched chunk
    std::size_t chunksInFlight = 0;
    std::size_t chunksDone = 0; ///< by this process (maxtasksperchild counts chunks, like Python)
};

/// A snapshot for display and plotting: one short critical section, no system call.
struct PoolStats {
    std::string name;
    PoolState state = PoolState::Running;
    WorkerDeathPolicy deathPolicy = WorkerDeathPolicy::Broken;
    std::size_t processes = 0;
    std::vector<WorkerStats> workers;
    std::size_t tasksQueued = 0;  ///< items not yet sent to a worker
    std::size_t tasksRunning = 0; ///< items sent, result not yet back
    std::size_t tasksDone = 0;    ///< items whose result (or error) came back
    std::size_t tasksFailed = 0;  ///< of those, items in chunks that raised
    std::size_t tasksLost = 0;    ///< items whose worker died under them (Python policy)
    std::size_t workersStarted = 0;
    std::size_t workerReplacements = 0;
    std::size_t workerDeaths = 0; ///< abnormal exits (killed, crashed, non-zero status)
    std::size_t window = 0;       ///< chunks pipelined per worker at the moment
};

} // namespace forkscope
