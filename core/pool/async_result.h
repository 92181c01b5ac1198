#pragma once

#include "pool_core.h"

#include <functional>
#include <memory>
#include <string>

namespace forkscope {

/// The result of applyAsync/mapAsync/starmapAsync (Python's AsyncResult / MapResult).
/// Copies refer to the same result. Only the process that created the pool may use it.
template <class T> class AsyncResult {
public:
    AsyncResult(std::shared_ptr<detail::PoolCore> core, std::shared_ptr<detail::PoolJob> job,
                std::function<T(detail::PoolJob&)> take)
        : core_(std::move(core)), job_(std::move(job)), take_(std::move(take)) {}

    /// The value, or the task's exception (TaskError with the task's index), BrokenPoolError,
    /// or TimeoutError after `timeout` seconds (nullopt: no limit, as in Python).
    T get(fdio::Timeout timeout = std::nullopt) {
        if (!wait(timeout)) {
            throw TimeoutError("timed out after " + std::to_string(*timeout) + " s waiting for " +
                               job_->describe() + " of " + core_->name());
        }
        std::exception_ptr error = core_->locked([&] { return job_->error; });
        if (error) {
            std::rethrow_exception(error);
        }
        return core_->locked([&] { return take_(*job_); });
    }
    /// Waits until the result is ready; false at the timeout.
    bool wait(fdio::Timeout timeout = std::nullopt) {
        core_->checkOwner("wait for a result of");
        return core_->waitUntil([this] { return job_->complete; }, timeout);
    }
    [[nodiscard]] bool ready() const {
        core_->checkOwner("query a result of");
        return core_->locked([this] { return job_->complete; });
    }
    /// Whether the call completed without raising; asking before ready() is an error (Python's
    /// ValueError).
    [[nodiscard]] bool successful() const {
        core_->checkOwner("query a result of");
        return core_->locked([this] {
            if (!job_->complete) {
                throw ProcessError(job_->describe() + " of " + core_->name() + " is not ready");
            }
            return !job_->error;
        });
    }

private:
    std::shared_ptr<detail::PoolCore> core_;
    std::shared_ptr<detail::PoolJob> job_;
    std::function<T(detail::PoolJob&)> take_;
};

} // namespace forkscope
