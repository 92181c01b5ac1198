#pragma once

// Pool tasks shared by the pool tests (each test executable includes this once): registered,
// so that every start method can run them.

#include "pool/pool.h"
#include "process/fd_handle.h"
#include "process/fd_io.h"
#include "process_test_support.h"

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace forkscope::test {

inline int square(const int& x) {
    return x * x;
}
FORKSCOPE_POOL_TASK(square);

inline int add(const int& a, const int& b) {
    return a + b;
}
FORKSCOPE_POOL_TASK(add);

inline int failOnSeven(const int& x) {
    if (x == 7) {
        throw std::runtime_error("bad item " + std::to_string(x));
    }
    return x;
}
FORKSCOPE_POOL_TASK(failOnSeven);

inline int workerPid(const int& /*unused*/) {
    return static_cast<int>(::getpid());
}
FORKSCOPE_POOL_TASK(workerPid);

/// Set in each worker by rememberPipes (the initializer): where a task says "started", and
/// the gate it then blocks on.
inline int g_startedFd = -1;
inline int g_gateFd = -1;
inline int g_initValue = 0;

inline void rememberPipes(TaskArgs& args) {
    g_startedFd = args.get<FdHandle>(0).fd();
    g_gateFd = args.get<FdHandle>(1).fd();
    g_initValue = 42;
}
FORKSCOPE_TASK(rememberPipes);

/// Writes its worker's pid (one write, atomic on a pipe) and blocks on the gate until it is
/// closed everywhere or the worker is killed.
inline int blockAfterStarted(const int& x) {
    const pid_t me = ::getpid();
    fdio::writeAll(g_startedFd, &me, sizeof me, 10.0, "started pid");
    awaitByte(g_gateFd);
    return x;
}
FORKSCOPE_POOL_TASK(blockAfterStarted);

inline int initValue(const int& /*unused*/) {
    return g_initValue;
}
FORKSCOPE_POOL_TASK(initValue);

/// The pid a blocked task reported, or -1 after the timeout.
inline pid_t readStartedPid(int fd, double timeoutSeconds = 10.0) {
    pid_t pid = -1;
    try {
        if (!fdio::readExact(fd, &pid, sizeof pid, timeoutSeconds, "started pid")) {
            return -1;
        }
    } catch (const TimeoutError&) {
        return -1;
    }
    return pid;
}

inline bool processGone(pid_t pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

} // namespace forkscope::test
