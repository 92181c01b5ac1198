#include "owner_record.h"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <iterator>

namespace forkscope {

bool processHasEnded(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    // kill(pid, 0) also succeeds for a zombie, which holds nothing any more.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return true; // vanished between the two checks
    }
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name may contain spaces and ')': the state follows the last ')'.
    const auto close = content.rfind(')');
    if (close == std::string::npos || close + 2 >= content.size()) {
        return false;
    }
    const char state = content[close + 2];
    return state == 'Z' || state == 'X';
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

} // namespace forkscope
