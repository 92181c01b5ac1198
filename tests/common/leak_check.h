#pragma once

#include <set>
#include <string>
#include <sys/types.h>

namespace forkscope::test {

/// Makes orphaned descendants re-parent to this process instead of init, so the leak check
/// sees them (and can reap them) instead of letting them vanish from view.
void becomeSubreaper();

/// The process's children (any state, zombies included), read from /proc.
std::set<pid_t> childPids();

/// What a test might leave behind: fds, child processes (running or zombie), /dev/shm entries.
/// Take one at init() and compare at cleanup(); describe() names what differs.
class LeakSnapshot {
public:
    static LeakSnapshot take();
    /// What `later` has that this snapshot has not; empty when nothing leaked.
    [[nodiscard]] std::string leaksIn(const LeakSnapshot& later) const;

    std::set<int> fds;
    std::set<pid_t> children;
    std::set<std::string> shm;
};

/// Waits (bounded) for pid to end without reaping it: a pidfd works for any process.
bool waitForExit(pid_t pid, double timeoutSeconds);
/// Reaps (bounded) a child or adopted orphan that has ended.
bool reap(pid_t pid, double timeoutSeconds);

} // namespace forkscope::test
