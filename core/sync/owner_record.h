#pragma once

#include "futex.h"
#include "thread_identity.h"

#include <atomic>
#include <string>
#include <sys/types.h>

namespace forkscope {

/// Which process and thread hold a lock, kept inside the lock's shared state so any process can
/// ask "who holds it, and is that process still alive?".
///
/// Recording is two relaxed atomic stores of cached ids (ThreadIdentity), not a system call, so
/// the uncontended acquire stays cheap. The mutex itself orders the stores with the critical
/// section; readers in other processes only need a consistent snapshot of each field. The "is it
/// me" test is exact even with relaxed loads: the only store that can carry my tid is my own.
class OwnerRecord {
public:
    void claim() noexcept {
        pid_.store(ThreadIdentity::pid(), std::memory_order_relaxed);
        tid_.store(ThreadIdentity::tid(), std::memory_order_relaxed);
    }
    void clear() noexcept {
        tid_.store(0, std::memory_order_relaxed);
        pid_.store(0, std::memory_order_relaxed);
    }
    [[nodiscard]] bool heldByCaller() const noexcept {
        return tid_.load(std::memory_order_relaxed) == ThreadIdentity::tid() &&
               pid_.load(std::memory_order_relaxed) == ThreadIdentity::pid();
    }
    [[nodiscard]] pid_t pid() const noexcept { return pid_.load(std::memory_order_relaxed); }
    [[nodiscard]] pid_t tid() const noexcept { return tid_.load(std::memory_order_relaxed); }
    /// A holder is recorded and that process has ended (a zombie counts as ended).
    [[nodiscard]] bool abandoned() const;
    /// "pid P tid T" or "nobody", for error messages.
    [[nodiscard]] std::string describe() const;

private:
    std::atomic<pid_t> pid_{0};
    std::atomic<pid_t> tid_{0};
};

/// Whether the process has ended: kill(pid, 0) fails with ESRCH (gone, reaped), or
/// /proc/<pid>/stat shows state Z (zombie: dead, not yet reaped) or X. A recycled pid would
/// look alive: pids are only reused after the owner is reaped and the pid space wraps.
[[nodiscard]] bool processHasEnded(pid_t pid);

/// "pid P tid T" of the calling thread, for error messages.
[[nodiscard]] std::string describeCaller();

/// Throws ProcessError when a blocking acquire with no (finite) timeout of the non-recursive
/// lock `lockName` would wait for its own caller, who holds it: it could never return. With a
/// timeout, or not blocking, the acquire just fails, as in Python. `hint` ends the message.
void refuseWaitingForItself(const OwnerRecord& owner, bool block, Timeout timeout, const char* lockName,
                            const char* hint);

} // namespace forkscope
