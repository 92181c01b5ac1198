#pragma once

#include "process.h"
#include "start_method.h"
#include "task_args.h"
#include "task_registry.h"

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// Registers fn to run when the current process ends normally (after its children have been
/// joined), in reverse order of registration. A queue uses it to flush its feeder before its
/// process may exit, exactly as Python's finalizers do.
void atProcessExit(std::function<void()> fn);

namespace runtime {

/// Who the current process is.
struct Identity {
    std::string name = "MainProcess";
    std::vector<int> path; ///< Python's _identity: (1, 2) is the 2nd child of the 1st child
    bool daemon = false;
    pid_t parentPid = 0; ///< the logical parent (the requester, for a forkserver child)
    StartMethod method = StartMethod::Fork;
    bool isChild = false;

    template <class Archive> void serialize(Archive& ar) {
        ar(name, path, daemon, parentPid, method, isChild);
    }
};

[[nodiscard]] const Identity& self();
/// The identity path for the next child of this process.
[[nodiscard]] std::vector<int> nextChildPath();

void registerChild(const Process& child);
void forgetChild(const Process& child);
[[nodiscard]] std::vector<Process> children();

/// What a process does before it exits: terminate daemonic children, join the others, then run
/// the atProcessExit hooks. Runs from atexit in the program and before _exit in every child.
void runProcessExit();
/// Installs runProcessExit with std::atexit, once.
void installAtexit();

/// Turns the calling process into a fresh child: forget the parent's children and hooks.
void becomeChild(Identity identity);
/// Runs the target as the current child and ends the process with its exit code.
[[noreturn]] void runChild(Identity identity, const Target& target, TaskArgs& args);

/// Whether this image was exec'ed by Forkscope (a spawn child or the forkserver), and whether
/// its bootstrap has finished (after which it may start processes of its own). An image that
/// reaches Process::start() before its bootstrap ran is re-running an unguarded main().
[[nodiscard]] bool isForkscopeImage();
[[nodiscard]] bool bootstrapped() noexcept;
void markBootstrapped() noexcept;

/// The command-line flags that select an image role in freezeSupport().
inline constexpr const char* kSpawnFlag = "--forkscope-spawn";
inline constexpr const char* kForkserverFlag = "--forkscope-forkserver";
inline constexpr const char* kExitAtOnceFlag = "--forkscope-exit-at-once";

} // namespace runtime
} // namespace forkscope
