#include "errors.h"
#include "launchers.h"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

namespace {
const std::string& programName() {
    static const std::string name = [] {
        std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
        std::string argv0;
        std::getline(cmdline, argv0, '\0');
        return argv0.empty() ? std::string("forkscope-child") : argv0;
    }();
    return name;
}
} // namespace

std::unique_ptr<Popen> launchSpawn(const Bootstrap& bootstrap) {
    const std::vector<std::uint8_t> payload = bootstrap.encode();
    auto [parentEnd, childEnd] = fdio::makeSocketPair();
    auto [errorRead, errorWrite] = fdio::makePipe();

    // Everything the child touches is prepared here: after fork() it may only make
    // async-signal-safe calls until exec.
    std::string argv0 = programName();
    std::string flag = runtime::kSpawnFlag;
    std::string channel = std::to_string(childEnd.get());
    char* const argv[] = {argv0.data(), flag.data(), channel.data(), nullptr};
    std::vector<int> keep = bootstrap.fds;
    keep.push_back(childEnd.get());
    const int errorFd = errorWrite.get();
    sigset_t noSignals;
    sigemptyset(&noSignals);
    const pid_t parent = ::getpid();

    flushStdStreams();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OsError("fork for spawn of " + bootstrap.identity.name, errno);
    }
    if (pid == 0) {
        dieWithParent(parent);
        ::sigprocmask(SIG_SETMASK, &noSignals, nullptr);
        // Only the passed fds (and stdio) survive exec: everything else gets CLOEXEC.
        ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        for (int fd : keep) {
            ::fcntl(fd, F_SETFD, 0);
        }
        ::execv("/proc/self/exe", argv);
        int error = errno;
        [[maybe_unused]] ssize_t ignored = ::write(errorFd, &error, sizeof error);
        ::_exit(127);
    }
    childEnd.reset();
    errorWrite.reset();

    // EOF on the error pipe means exec succeeded (the pipe is close-on-exec).
    int execError = 0;
    ssize_t n = 0;
    do {
        n = ::read(errorRead.get(), &execError, sizeof execError);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof execError)) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        throw OsError("exec of /proc/self/exe for spawn child " + bootstrap.identity.name, execError);
    }

    auto popen = std::make_unique<ChildPopen>(pid, fdio::pidfdOpen(pid));
    try {
        fdio::writeFrame(parentEnd.get(), payload, 60.0, "spawn bootstrap");
    } catch (const OsError& e) {
        // The child ended without reading its bootstrap (for example an image whose main()
        // started processes before calling the entry guard). Its exit code tells the story.
        if (e.code() != EPIPE && e.code() != ECONNRESET) {
            throw;
        }
    } catch (const TimeoutError&) {
        popen->sendSignal(SIGKILL);
        popen->wait(5.0);
        throw TimeoutError("spawn child " + bootstrap.identity.name +
                           " did not read its bootstrap within 60 s; it was killed");
    }
    return popen;
}

} // namespace forkscope
