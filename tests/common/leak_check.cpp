#include "leak_check.h"

#include "process/fd_io.h"
#include "process/proc_stat.h"
#include "session/process_sweeper.h"

#include <filesystem>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope::test {

void becomeSubreaper() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

std::set<pid_t> childPids() {
    std::set<pid_t> result;
    const pid_t me = ::getpid();
    for (const pid_t pid : ProcessSweeper::processes()) {
        // ProcStat reads with read(): a process that ends meanwhile is simply not there.
        if (const auto stat = ProcStat::read(pid); stat && stat->ppid == me) {
            result.insert(pid);
        }
    }
    return result;
}

LeakSnapshot LeakSnapshot::take() {
    LeakSnapshot snapshot;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        snapshot.fds.insert(std::stoi(entry.path().filename()));
    }
    snapshot.children = childPids();
    for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
        snapshot.shm.insert(entry.path().filename());
    }
    return snapshot;
}

std::string LeakSnapshot::leaksIn(const LeakSnapshot& later) const {
    std::string report;
    for (int fd : later.fds) {
        if (!fds.contains(fd)) {
            std::error_code ec;
            auto target = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec);
            report += "fd " + std::to_string(fd) + " (" + target.string() + ") left open; ";
        }
    }
    for (pid_t pid : later.children) {
        if (!children.contains(pid)) {
            report += "child process " + std::to_string(pid) + " left behind; ";
        }
    }
    for (const auto& name : later.shm) {
        if (!shm.contains(name)) {
            report += "/dev/shm/" + name + " left behind; ";
        }
    }
    return report;
}

bool waitForExit(pid_t pid, double timeoutSeconds) {
    try {
        UniqueFd pidfd = fdio::pidfdOpen(pid);
        return fdio::waitFor(pidfd.get(), POLLIN, timeoutSeconds);
    } catch (const std::exception&) {
        return true; // no such process: it has already ended (and been reaped)
    }
}

bool reap(pid_t pid, double timeoutSeconds) {
    if (!waitForExit(pid, timeoutSeconds)) {
        return false;
    }
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == pid || errno == ECHILD;
}

} // namespace forkscope::test
