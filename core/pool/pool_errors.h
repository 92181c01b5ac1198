#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace forkscope {

/// A task raised an exception in a pool worker. C++ cannot rebuild an arbitrary exception type
/// in another process (Python re-raises the unpickled original), so the caller gets this type,
/// carrying the original type's name, its message and the index of the task in its job
/// (0 for apply, the item's position for map/imap/starmap).
class TaskError : public std::runtime_error {
public:
    TaskError(std::size_t index, std::string exceptionType, std::string message)
        : std::runtime_error("task " + std::to_string(index) + " raised " + exceptionType + ": " + message),
          index_(index), exceptionType_(std::move(exceptionType)), message_(std::move(message)) {}
    [[nodiscard]] std::size_t index() const noexcept { return index_; }
    [[nodiscard]] const std::string& exceptionType() const noexcept { return exceptionType_; }
    [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
    std::size_t index_;
    std::string exceptionType_;
    std::string message_;
};

/// A worker died abruptly under WorkerDeathPolicy::Broken: the analogue of
/// concurrent.futures.process.BrokenProcessPool. Every pending result fails with it, and the
/// pool refuses new work.
class BrokenPoolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A blocking pool call was interrupted by Pool::interrupt() (typically from a SIGINT handler):
/// the analogue of the KeyboardInterrupt Python raises in the parent.
class KeyboardInterrupt : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace forkscope
