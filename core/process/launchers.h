#pragma once

#include "bootstrap.h"
#include "popen.h"

#include <memory>

namespace forkscope {

/// One function per start method; Process::start() picks one (Python's popen_fork,
/// popen_spawn_posix and popen_forkserver).
[[nodiscard]] std::unique_ptr<Popen> launchFork(const LaunchRequest& request);
[[nodiscard]] std::unique_ptr<Popen> launchSpawn(const Bootstrap& bootstrap);
[[nodiscard]] std::unique_ptr<Popen> launchForkserver(const Bootstrap& bootstrap);

/// Between fork() and exec(): makes the child die with its parent, and exits at once if the
/// parent died before that took effect. Async-signal-safe.
/// `signal` is SIGKILL for a task; a helper that must clean up first (the forkserver removes its
/// socket) asks for a signal it handles.
void dieWithParent(pid_t parentBeforeFork, int signal = 9 /* SIGKILL */) noexcept;

/// Flushes C and C++ stdio so buffered output is not written twice by parent and child.
void flushStdStreams() noexcept;

} // namespace forkscope
