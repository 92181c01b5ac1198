#include "scenario_pool.h"

#include "process/context.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process/fd_io.h"
#include "process/task_registry.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <numeric>
#include <unistd.h>

namespace forkscope {

namespace {

/// In each pool worker: where its tasks report "started" (set by the initializer).
int g_startedFd = -1;

void scenarioPoolInit(TaskArgs& args) {
    g_startedFd = args.get<FdHandle>(0).fd();
}
FORKSCOPE_TASK(scenarioPoolInit);

/// The scenario's trivial task: say "started" (never blocking: the pipe is non-blocking and
/// a full pipe just means nobody is watching), work `ms`, return the item.
int scenarioPoolTask(const int& item, const int& ms) {
    if (g_startedFd >= 0) {
        const pid_t me = ::getpid();
        ssize_t n = 0;
        do {
            n = ::write(g_startedFd, &me, sizeof me);
        } while (n < 0 && errno == EINTR);
    }
    if (ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    return item;
}
FORKSCOPE_POOL_TASK(scenarioPoolTask);

} // namespace

ScenarioPool::ScenarioPool(const Options& options) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OsError("pipe for the pool's task-started reports", errno);
    }
    startedRead_ = UniqueFd(fds[0]);
    startedWrite_ = UniqueFd(fds[1]);
    (void)::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    PoolOptions pool;
    pool.processes = options.processes;
    pool.initializer = Target(&scenarioPoolInit);
    pool.initargs = {FdHandle(startedWrite_.get())};
    pool.maxtasksperchild = options.maxtasksperchild;
    pool.context = getContext(options.startMethod);
    pool.deathPolicy = options.deathPolicy;
    pool_ = std::make_unique<Pool>(std::move(pool));
}

ScenarioPool::~ScenarioPool() {
    if (killer_.joinable()) {
        killer_.join();
    }
}

std::int64_t ScenarioPool::map(std::size_t tasks, std::int64_t taskMs) {
    std::vector<std::tuple<int, int>> items;
    for (std::size_t i = 0; i < tasks; ++i) {
        items.emplace_back(static_cast<int>(i), static_cast<int>(taskMs));
    }
    const std::vector<int> results = pool_->starmap(&scenarioPoolTask, std::move(items));
    return std::accumulate(results.begin(), results.end(), std::int64_t{0});
}

void ScenarioPool::killNextStartedWorker(double waitSeconds, std::function<void(pid_t)> killed,
                                         std::function<void(const std::string&)> failed) {
    if (killer_.joinable()) {
        killer_.join();
    }
    killer_ = std::thread([this, waitSeconds, killed = std::move(killed), failed = std::move(failed)] {
        pid_t pid = -1;
        try {
            if (!fdio::readExact(startedRead_.get(), &pid, sizeof pid, waitSeconds, "task-started pid")) {
                failed("no pool task started");
                return;
            }
        } catch (const std::exception& e) {
            failed(std::string("no pool task started: ") + e.what());
            return;
        }
        // The task that wrote this pid is working (it sleeps after reporting), so the worker
        // dies with a task in hand, as when the OOM killer or a crash takes it.
        if (::kill(pid, SIGKILL) != 0) {
            failed("could not kill pool worker " + std::to_string(pid));
            return;
        }
        killed(pid);
    });
}

} // namespace forkscope
