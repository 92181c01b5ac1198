#pragma once

#include "fd_io.h"
#include "start_method.h"
#include "task_args.h"
#include "task_registry.h"

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

class Context;

struct ProcessOptions {
    std::string name;           ///< default: "Process-N" (with the parent's identity, like Python)
    std::optional<bool> daemon; ///< default: inherited from the creating process
};

/// A child process with the semantics of Python's multiprocessing.Process.
///
/// A Process is a handle: copies refer to the same child, as Python references do. Every
/// method is meant for the process that created the object (the parent), except name() and
/// daemon(). Misuse (starting twice, joining an unstarted process, any call after close())
/// throws ProcessError with a message saying what was wrong.
class Process {
public:
    /// A process with the process-wide default start method.
    Process(Target target, Args args = {}, ProcessOptions options = {});
    Process(const Context& context, Target target, Args args = {}, ProcessOptions options = {});

    /// Starts the child. Under spawn and forkserver the target and arguments are serialised
    /// first, so a closure or an unserialisable argument throws SerializationError and no
    /// process is created.
    void start();
    /// Waits for the child to end, at most `timeout` seconds (nullopt: without limit). After a
    /// timeout the child is still running and exitCode() is still unset.
    void join(fdio::Timeout timeout = std::nullopt);
    /// Whether the child is running; a finished child is reaped here (as in Python).
    [[nodiscard]] bool isAlive();
    /// SIGTERM / SIGKILL. A child that already ended is left alone.
    void terminate();
    void kill();
    /// Releases the process's resources. Refused while the child runs; afterwards every other
    /// call is an error.
    void close();

    /// Unset while running or not started; 0 on a normal return, n for exitProcess(n) or
    /// _exit(n), -N when killed by signal N, 1 when the task threw.
    [[nodiscard]] std::optional<int> exitCode();
    [[nodiscard]] std::optional<pid_t> pid() const;
    [[nodiscard]] const std::string& name() const;
    void setName(std::string name);
    [[nodiscard]] bool daemon() const;
    /// Only before start().
    void setDaemon(bool daemon);
    [[nodiscard]] StartMethod startMethod() const;
    /// An fd that becomes readable when the child ends (Python's Process.sentinel).
    [[nodiscard]] int sentinel() const;

    friend bool operator==(const Process& a, const Process& b) noexcept { return a.d_ == b.d_; }

    struct Impl;
    explicit Process(std::shared_ptr<Impl> impl) : d_(std::move(impl)) {}

private:
    void checkOpen(const char* operation) const;
    void checkParent(const char* operation) const;
    std::shared_ptr<Impl> d_;
};

/// The children of this process that are still running, reaping those that have finished
/// (Python's active_children()).
[[nodiscard]] std::vector<Process> activeChildren();

/// The process the caller runs in ("MainProcess" in the program, the child's own Process in
/// a child). Joining it is an error.
[[nodiscard]] Process currentProcess();

} // namespace forkscope
