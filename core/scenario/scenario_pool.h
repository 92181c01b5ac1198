#pragma once

#include "pool/pool.h"
#include "process/start_method.h"
#include "process/unique_fd.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace forkscope {

/// The Pool of a scenario (main only), with what the scenario needs to watch it: every task
/// says "started" with its worker's pid on a pipe, so `kill-pool-worker` can kill a worker that
/// is known to be running a task, without guessing by time.
class ScenarioPool {
public:
    struct Options {
        int processes = 2;
        WorkerDeathPolicy deathPolicy = WorkerDeathPolicy::Broken;
        std::optional<int> maxtasksperchild;
        StartMethod startMethod = StartMethod::Fork;
        std::string name;
    };
    explicit ScenarioPool(const Options& options);
    ScenarioPool(const ScenarioPool&) = delete;
    ScenarioPool& operator=(const ScenarioPool&) = delete;
    ~ScenarioPool();

    /// Python's pool.map(task, range(tasks)): each task works `taskMs` and returns its item.
    /// Returns the sum of the results (a check that every result came back).
    std::int64_t map(std::size_t tasks, std::int64_t taskMs);

    /// Arms a killer thread: it waits for the next task to report that it started and SIGKILLs
    /// that task's worker, then calls `killed(pid)` (or `failed(why)` if no task started within
    /// `waitSeconds`). One kill per call.
    void killNextStartedWorker(double waitSeconds, std::function<void(pid_t)> killed,
                               std::function<void(const std::string&)> failed);

    [[nodiscard]] Pool& pool() { return *pool_; }

private:
    UniqueFd startedRead_;
    UniqueFd startedWrite_;
    std::unique_ptr<Pool> pool_;
    std::thread killer_;
};

} // namespace forkscope
