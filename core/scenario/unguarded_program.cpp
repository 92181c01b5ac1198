#include "unguarded_program.h"

#include "process/errors.h"
#include "process/unique_fd.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace forkscope {

std::string UnguardedProgram::path() {
    if (const char* path = std::getenv("FORKSCOPE_UNGUARDED_PROGRAM"); path != nullptr && *path != 0) {
        return path;
    }
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto beside = exe.parent_path() / "forkscope-unguarded";
        if (std::filesystem::exists(beside, ec)) {
            return beside.string();
        }
    }
    return FORKSCOPE_BUILD_UNGUARDED_PROGRAM;
}

UnguardedProgram::Result UnguardedProgram::run(const std::string& startMethod, bool guarded) {
    const std::string path = UnguardedProgram::path();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OsError("pipe for the unguarded program's output", errno);
    }
    UniqueFd readEnd(fds[0]);
    UniqueFd writeEnd(fds[1]);
    // The settings travel in the environment, because a spawned image of the program gets the
    // launcher's argv, not ours, and must make the same guard decision as its parent.
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        if (!entry.starts_with("FORKSCOPE_UNGUARDED_")) {
            env.push_back(entry);
        }
    }
    env.push_back("FORKSCOPE_UNGUARDED_METHOD=" + startMethod);
    if (guarded) {
        env.push_back("FORKSCOPE_UNGUARDED_GUARD=1");
    }
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::string arg0 = path;
    char* argv[] = {arg0.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, writeEnd.get(), STDERR_FILENO);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw OsError("starting " + path, rc);
    }
    writeEnd.reset();
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        pollfd p{readEnd.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char chunk[4096];
        const ssize_t n = ::read(readEnd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        output.append(chunk, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::string errors;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("Error") != std::string::npos) {
            errors += (errors.empty() ? "" : " | ") + line;
        }
    }
    return Result{code, output, errors.empty() ? output.substr(0, 1500) : errors.substr(0, 1500)};
}

} // namespace forkscope
