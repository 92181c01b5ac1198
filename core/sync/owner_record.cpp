#include "owner_record.h"

#include "process/unique_fd.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace forkscope {

bool processHasEnded(pid_t pid) {
    if (pid <= 0) {
        return false;
    }
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    // kill(pid, 0) also succeeds for a zombie, which holds nothing any more. Plain read(2), not
    // an ifstream: a process that is being torn down makes the read fail with ESRCH, which
    // libstdc++ would turn into an exception.
    UniqueFd stat(::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
    if (!stat) {
        return errno == ENOENT || errno == ESRCH; // vanished between the two checks
    }
    char buffer[512];
    ssize_t n = -1;
    do {
        n = ::read(stat.get(), buffer, sizeof buffer);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return n < 0 && errno == ESRCH;
    }
    const std::string content(buffer, static_cast<std::size_t>(n));
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
