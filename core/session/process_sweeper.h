#pragma once

#include "events/event_type.h"

#include <chrono>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// Tears a run down and tells what it left behind.
///
/// The session host puts the scenario's main process in a process group of its own and makes
/// itself the child subreaper, so every process of the run — forked, spawned, started by the
/// forkserver, the resource tracker and a manager included — is either in that group or comes
/// back to the host when its parent dies. Nothing escapes being counted or reaped.
class ProcessSweeper {
public:
    /// What the host process holds before a run: compared after it, it gives the leaks.
    struct Footprint {
        int fds = 0;
        std::set<std::string> shm;         ///< /dev/shm entries (named semaphores are "sem.*")
        std::set<std::string> runtimeDirs; ///< forkscope-* in the runtime directory base
    };
    [[nodiscard]] static Footprint footprint();

    /// Every process in /proc, by pid.
    [[nodiscard]] static std::vector<pid_t> processes();

    /// Processes whose process group is `pgid`.
    [[nodiscard]] static std::vector<pid_t> groupMembers(pid_t pgid);

    /// Ends every process of the group: helper images that clean up after themselves (the
    /// resource tracker, the forkserver) get the chance to, everything else is SIGKILLed. Reaps
    /// what comes back to this process. Bounded by `deadline`.
    /// `keep` (main) is signalled like the others but left for its Process handle to reap.
    static void teardown(pid_t pgid, std::chrono::milliseconds deadline, pid_t keep);

    /// Reaps every terminated child of this process (orphans handed to the subreaper
    /// included) without blocking, except `keep`. Returns how many were reaped.
    static int reapFinished(pid_t keep = 0);

    /// Which of the engine's helper images `pid` is (told by the role flag in its argv[1]);
    /// Unknown for anything else, a process that the forkserver forked included.
    [[nodiscard]] static HelperRole helperRole(pid_t pid);

    /// Removes what a torn-down run could not clean itself: new forkscope segments in /dev/shm
    /// and new forkscope-* directories in the runtime directory. Returns what it removed.
    [[nodiscard]] static std::vector<std::string> reclaim(const Footprint& before);
};

} // namespace forkscope
