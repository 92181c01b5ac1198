#include "pool.h"

#include <thread>
#include <unistd.h>

namespace forkscope {

namespace {

detail::PoolConfig makeConfig(PoolOptions options) {
    detail::PoolConfig config;
    if (options.processes && *options.processes < 1) {
        throw ProcessError("a pool needs at least 1 process (got " + std::to_string(*options.processes) +
                           ")");
    }
    if (options.maxtasksperchild && *options.maxtasksperchild < 1) {
        throw ProcessError("maxtasksperchild must be at least 1 (got " +
                           std::to_string(*options.maxtasksperchild) + ")");
    }
    // os.cpu_count(): the CPUs this process may run on, at least one.
    config.processes = options.processes ? static_cast<std::size_t>(*options.processes)
                                         : std::max(1U, std::thread::hardware_concurrency());
    config.initializer = std::move(options.initializer);
    config.initargs = std::move(options.initargs);
    config.maxTasksPerChild =
        options.maxtasksperchild ? static_cast<std::uint64_t>(*options.maxtasksperchild) : 0;
    config.context = options.context ? *options.context : getContext();
    config.deathPolicy = options.deathPolicy;
    return config;
}

} // namespace

Pool::Pool(std::optional<int> processes, std::optional<Target> initializer, Args initargs,
           std::optional<int> maxtasksperchild, std::optional<Context> context, WorkerDeathPolicy deathPolicy)
    : Pool(PoolOptions{processes, std::move(initializer), std::move(initargs), maxtasksperchild, context,
                       deathPolicy}) {}

Pool::Pool(PoolOptions options) : core_(std::make_shared<detail::PoolCore>(makeConfig(std::move(options)))) {}

Pool::~Pool() {
    if (!core_->isOwner()) {
        return; // a forked copy: the workers are the creator's, and so is the decision to stop them
    }
    // The creator terminates, as leaving Python's `with Pool() as pool:` block does.
    core_->terminate();
}

void Pool::close() {
    core_->checkOwner("close");
    core_->close();
}

void Pool::terminate() {
    core_->checkOwner("terminate");
    core_->terminate();
}

bool Pool::join(fdio::Timeout timeout) {
    core_->checkOwner("join");
    return core_->join(timeout);
}

void Pool::interrupt() noexcept {
    core_->interrupt();
}

PoolStats Pool::stats() const {
    core_->checkOwner("read the statistics of");
    return core_->stats();
}

std::size_t Pool::size() const noexcept {
    return core_->size();
}

const std::string& Pool::name() const noexcept {
    return core_->name();
}

} // namespace forkscope
