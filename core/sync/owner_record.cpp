#include "owner_record.h"

#include "process/errors.h"
#include "process/proc_stat.h"

#include <cerrno>
#include <csignal>

namespace forkscope {

bool processHasEnded(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    // kill(pid, 0) also succeeds for a zombie, which holds nothing any more.
    if (const auto stat = ProcStat::read(pid)) {
        return stat->isZombie();
    }
    // Unreadable: gone between the two checks, or this process is out of fds (then it still
    // exists, and is not declared dead on that account).
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

bool OwnerRecord::abandoned() const {
    const pid_t owner = pid();
    return owner != 0 && processHasEnded(owner);
}

std::string OwnerRecord::describe() const {
    const pid_t owner = pid();
    if (owner == 0) {
        return "nobody";
    }
    return "pid " + std::to_string(owner) + " tid " + std::to_string(tid());
}

std::string describeCaller() {
    return "pid " + std::to_string(ThreadIdentity::pid()) + " tid " + std::to_string(ThreadIdentity::tid());
}

void refuseWaitingForItself(const OwnerRecord& owner, bool block, Timeout timeout, const char* lockName,
                            const char* hint) {
    if (block && !boundedTimeout(timeout) && owner.heldByCaller()) {
        throw ProcessError(std::string(lockName) + ".acquire() by " + describeCaller() +
                           ", which already holds this non-recursive lock: it would wait forever" + hint);
    }
}

} // namespace forkscope
