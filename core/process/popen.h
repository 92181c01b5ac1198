#pragma once

#include "fd_io.h"
#include "unique_fd.h"

#include <optional>
#include <sys/types.h>

namespace forkscope {

/// A started child as its parent sees it (Python's Popen objects). Subclasses differ in how
/// the exit status is learnt: waitpid for our own children, a message from the forkserver for
/// the children it forked.
class Popen {
public:
    Popen(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    Popen(const Popen&) = delete;
    Popen& operator=(const Popen&) = delete;
    virtual ~Popen() = default;

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// An fd that becomes readable when the child has ended (for poll()/wait()).
    [[nodiscard]] virtual int sentinel() const noexcept { return pidfd_.get(); }

    /// The exit code if the child has ended (reaping it), without blocking. Python's
    /// convention: the exit status, or -N when killed by signal N.
    virtual std::optional<int> poll() = 0;
    /// Waits up to timeout for the child to end.
    std::optional<int> wait(fdio::Timeout timeout);
    /// Sends a signal through the pidfd, so a recycled pid can never be hit. Returns false when
    /// the child has already ended.
    bool sendSignal(int signal);

    /// Turns a waitpid status into Python's exit code convention.
    static int exitCodeFromStatus(int status) noexcept;

protected:
    pid_t pid_;
    UniqueFd pidfd_;
    std::optional<int> returnCode_;
};

/// A direct child (fork and spawn): reaped with waitpid.
class ChildPopen final : public Popen {
public:
    using Popen::Popen;
    ~ChildPopen() override;
    std::optional<int> poll() override;
};

} // namespace forkscope
