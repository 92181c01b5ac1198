#include "process_sweeper.h"

#include "process/proc_stat.h"
#include "process/runtime_directory.h"
#include "process/unique_fd.h"

#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace forkscope {

namespace {

std::set<std::string> listDirectory(const std::string& path, const std::string& prefix) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0) {
            names.insert(name);
        }
    }
    return names;
}

/// The NUL-separated argv of `pid`; empty once it is gone. Plain read(): a process may end
/// while its cmdline is read, and libstdc++'s filebuf throws on that read error (ESRCH).
std::string commandLine(pid_t pid) {
    std::string text;
    const UniqueFd fd(::open(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return text;
    }
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return text;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

/// The role named by the flag in argv[1] of a helper image (see EntryGuard); the cmdline is
/// NUL-separated.
HelperRole roleFlag(pid_t pid) {
    const std::string cmd = commandLine(pid);
    const auto first = cmd.find('\0');
    if (first == std::string::npos) {
        return HelperRole::Unknown;
    }
    const std::string flag = cmd.substr(first + 1, cmd.find('\0', first + 1) - first - 1);
    if (flag == "--forkscope-forkserver") {
        return HelperRole::Forkserver;
    }
    if (flag == "--forkscope-manager") {
        return HelperRole::ManagerServer;
    }
    if (flag == "--forkscope-resource-tracker") {
        return HelperRole::ResourceTracker;
    }
    return HelperRole::Unknown;
}

bool cleansUpOnTerm(pid_t pid) {
    const HelperRole role = ProcessSweeper::helperRole(pid);
    return role == HelperRole::Forkserver || role == HelperRole::ResourceTracker;
}

} // namespace

ProcessSweeper::Footprint ProcessSweeper::footprint() {
    Footprint f;
    std::error_code ec;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        f.fds += 1;
    }
    f.shm = listDirectory("/dev/shm", "");
    f.runtimeDirs = listDirectory(runtimeDirectoryBase(), "forkscope-");
    return f;
}

std::vector<pid_t> ProcessSweeper::processes() {
    std::vector<pid_t> pids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
            pids.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return pids;
}

std::vector<pid_t> ProcessSweeper::groupMembers(pid_t pgid) {
    std::vector<pid_t> members;
    for (pid_t pid : processes()) {
        if (const auto stat = ProcStat::read(pid); stat && stat->pgrp == pgid) {
            members.push_back(pid);
        }
    }
    return members;
}

int ProcessSweeper::reapFinished(pid_t keep) {
    // Child by child rather than waitpid(-1): `keep` has a Process handle that must collect its
    // own status (and report the reap in the trace).
    int reaped = 0;
    const pid_t self = ::getpid();
    for (pid_t pid : processes()) {
        if (pid == keep) {
            continue;
        }
        if (const auto stat = ProcStat::read(pid);
            stat && stat->ppid == self && ::waitpid(pid, nullptr, WNOHANG) > 0) {
            reaped += 1;
        }
    }
    return reaped;
}

void ProcessSweeper::teardown(pid_t pgid, std::chrono::milliseconds deadline, pid_t keep) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    // First the workers, so the helpers see their clients gone; then the helpers, asked nicely.
    for (pid_t pid : groupMembers(pgid)) {
        if (!cleansUpOnTerm(pid)) {
            ::kill(pid, SIGKILL);
        }
    }
    for (pid_t pid : groupMembers(pgid)) {
        if (cleansUpOnTerm(pid)) {
            ::kill(pid, SIGTERM);
        }
    }
    const auto finished = [&] {
        reapFinished(keep);
        for (pid_t pid : groupMembers(pgid)) {
            if (pid == keep) {
                continue; // its zombie waits for its own handle
            }
            // A zombie that is not our child (its parent lives on in the group) still counts.
            if (::kill(pid, 0) == 0) {
                return false;
            }
        }
        return true;
    };
    while (!finished() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(5)); // polling a teardown, not synchronising a test
    }
    ::kill(-pgid, SIGKILL);
    for (int i = 0; i < 200 && !finished(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

HelperRole ProcessSweeper::helperRole(pid_t pid) {
    const HelperRole role = roleFlag(pid);
    if (role == HelperRole::Unknown) {
        return role;
    }
    // A process the forkserver forked keeps the server's argv: it is the helper only if its
    // parent is not the same helper.
    const auto stat = ProcStat::read(pid);
    if (stat && roleFlag(stat->ppid) == role) {
        return HelperRole::Unknown;
    }
    return role;
}

std::vector<std::string> ProcessSweeper::reclaim(const Footprint& before) {
    std::vector<std::string> removed;
    for (const std::string& name : listDirectory("/dev/shm", "")) {
        const bool ours = name.rfind("forkscope", 0) == 0 || name.rfind("sem.forkscope", 0) == 0 ||
                          name.rfind("fs_", 0) == 0;
        if (ours && before.shm.count(name) == 0) {
            std::error_code ec;
            if (std::filesystem::remove("/dev/shm/" + name, ec)) {
                removed.push_back("/dev/shm/" + name);
            }
        }
    }
    const std::string base = runtimeDirectoryBase();
    for (const std::string& name : listDirectory(base, "forkscope-")) {
        if (before.runtimeDirs.count(name) == 0) {
            std::error_code ec;
            if (std::filesystem::remove_all(base + "/" + name, ec) > 0) {
                removed.push_back(base + "/" + name);
            }
        }
    }
    return removed;
}

} // namespace forkscope
