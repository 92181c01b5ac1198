#include "image_launcher.h"

#include "errors.h"
#include "fd_io.h"
#include "launchers.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

pid_t launchImage(const ImageLaunch& launch) {
    auto [errorRead, errorWrite] = fdio::makePipe();

    // Everything the child touches is prepared here.
    std::vector<std::string> strings;
    strings.reserve(launch.arguments.size() + 1);
    strings.push_back(launch.argv0);
    strings.insert(strings.end(), launch.arguments.begin(), launch.arguments.end());
    std::vector<char*> argv;
    for (std::string& s : strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    const int* keep = launch.keepFds.data();
    const std::size_t keepCount = launch.keepFds.size();
    const int errorFd = errorWrite.get();
    const int parentDeathSignal = launch.parentDeathSignal;
    sigset_t noSignals;
    sigemptyset(&noSignals);
    const pid_t parent = ::getpid();

    flushStdStreams();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("fork for " + launch.what, errno);
    }
    if (pid == 0) {
        if (parentDeathSignal != 0) {
            dieWithParent(parent, parentDeathSignal);
        }
        ::sigprocmask(SIG_SETMASK, &noSignals, nullptr);
        ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        for (std::size_t i = 0; i < keepCount; ++i) {
            ::fcntl(keep[i], F_SETFD, 0);
        }
        ::execv("/proc/self/exe", argv.data());
        int error = errno;
        [[maybe_unused]] ssize_t ignored = ::write(errorFd, &error, sizeof error);
        ::_exit(127);
    }
    errorWrite.reset();

    int execError = 0;
    ssize_t n = 0;
    do {
        n = ::read(errorRead.get(), &execError, sizeof execError);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof execError)) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        throw OsError("exec of /proc/self/exe for " + launch.what, execError);
    }
    return pid;
}

UniqueFd adoptFdArgument(const char* text, const char* role) {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 0 || value > (1 << 20)) {
        std::fprintf(stderr, "forkscope %s: bad fd argument '%s'\n", role, text);
        ::_exit(2);
    }
    UniqueFd fd(static_cast<int>(value));
    ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC);
    return fd;
}

std::vector<std::uint8_t> readSecret(UniqueFd fd, std::size_t maxSize) {
    std::vector<std::uint8_t> secret(maxSize);
    std::size_t size = 0;
    while (size < secret.size()) {
        const ssize_t n = ::read(fd.get(), secret.data() + size, secret.size() - size);
        if (n > 0) {
            size += static_cast<std::size_t>(n);
        } else if (n == 0 || errno != EINTR) {
            break;
        }
    }
    secret.resize(size);
    return secret;
}

} // namespace forkscope
