#include "errors.h"
#include "events/tracer.h"
#include "launchers.h"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace forkscope {

void dieWithParent(pid_t parentBeforeFork, int signal) noexcept {
    // PR_SET_PDEATHSIG fires when the parent *thread* ends; the getppid() check closes the
    // window in which the parent died before the request took effect.
    ::prctl(PR_SET_PDEATHSIG, signal);
    if (::getppid() != parentBeforeFork) {
        ::_exit(1);
    }
}

void flushStdStreams() noexcept {
    try {
        std::cout.flush();
        std::cerr.flush();
    } catch (...) { // NOLINT(bugprone-empty-catch): flushing is best effort
    }
    std::fflush(nullptr);
}

namespace {
/// A handler the parent installed (a crash reporter, a test framework, a GUI's SIGTERM hook)
/// belongs to the parent, not to the task: without this, terminate() of a forked child could
/// run the parent's handler instead of ending it with -SIGTERM. Ignored signals stay ignored,
/// exactly as exec() would leave them for spawn. Runs with every signal blocked; unblocks them
/// when done.
void resetSignalHandlers() noexcept {
    for (int signal = 1; signal < NSIG; ++signal) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler != SIG_IGN &&
            current.sa_handler != SIG_DFL) {
            ::signal(signal, SIG_DFL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}
} // namespace

std::unique_ptr<Popen> launchFork(const LaunchRequest& request) {
    flushStdStreams();
    const pid_t parent = ::getpid();
    // Every signal stays blocked across fork() until the child has reset the parent's handlers,
    // so a terminate() that arrives at once cannot run a parent's handler in the child.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    const pid_t pid = ::fork();
    if (pid != 0) {
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    if (pid < 0) {
        throw OsError("fork for " + request.identity.name, errno);
    }
    if (pid == 0) {
        // The fork start method runs arbitrary code in the child, as Python's does: that is the
        // method's nature and the reason the seed warns against forking threaded programs.
        if (request.traceRing != nullptr) {
            Tracer::adoptInForkChild(std::move(*request.traceRing));
        }
        dieWithParent(parent);
        resetSignalHandlers();
        TaskArgs args = TaskArgs::fromMemory(request.args);
        runtime::runChild(request.identity, request.target, args);
    }
    return std::make_unique<ChildPopen>(pid, fdio::pidfdOpen(pid));
}

} // namespace forkscope
