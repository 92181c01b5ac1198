#include "process_sweeper.h"

#include "process/runtime_directory.h"

#include <csignal>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <sstream>
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

/// Fields 4 and 5 of /proc/<pid>/stat (after the parenthesised command, which may contain
/// spaces): the parent and the process group.
std::pair<std::string, pid_t> parentAndGroup(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
        return {"", -1};
    }
    const auto close = line.rfind(')');
    if (close == std::string::npos) {
        return {"", -1};
    }
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    std::string ppid;
    pid_t pgrp = -1;
    rest >> state >> ppid >> pgrp;
    return {ppid, pgrp};
}
pid_t processGroupOf(const std::string& pid) {
    return parentAndGroup(pid).second;
}
std::string parentOf(const std::string& pid) {
    return parentAndGroup(pid).first;
}

std::string commandLine(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text;
}

bool cleansUpOnTerm(pid_t pid) {
    const std::string cmd = commandLine(pid);
    return cmd.find("--forkscope-resource-tracker") != std::string::npos ||
           cmd.find("--forkscope-forkserver") != std::string::npos;
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

std::vector<pid_t> ProcessSweeper::groupMembers(pid_t pgid) {
    std::vector<pid_t> members;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (processGroupOf(name) == pgid) {
            members.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return members;
}

int ProcessSweeper::reapFinished(pid_t keep) {
    // Child by child rather than waitpid(-1): `keep` has a Process handle that must collect its
    // own status (and report the reap in the trace).
    int reaped = 0;
    const std::string self = std::to_string(::getpid());
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const auto pid = static_cast<pid_t>(std::stol(name));
        if (pid != keep && parentOf(name) == self && ::waitpid(pid, nullptr, WNOHANG) > 0) {
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
