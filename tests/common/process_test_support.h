#pragma once

// Shared by the engine tests: registered tasks that synchronise through pipes (never sleeps),
// and helpers to drive them with bounded waits.

#include "process/context.h"
#include "process/fd_handle.h"
#include "process/fd_io.h"

#include <QtTest/QtTest>
#include <chrono>
#include <string>
#include <thread>

namespace forkscope::test {

/// A pipe whose ends can be passed to children as FdHandle arguments.
struct TestPipe {
    TestPipe() {
        auto ends = fdio::makePipe();
        read = std::move(ends.first);
        write = std::move(ends.second);
    }
    UniqueFd read;
    UniqueFd write;
    [[nodiscard]] FdHandle readHandle() const { return FdHandle(read.get()); }
    [[nodiscard]] FdHandle writeHandle() const { return FdHandle(write.get()); }
};

/// Writes one message (u32 length + bytes) on fd; used by children to report.
void sendText(int fd, const std::string& text);
/// Reads one message, or fails the test after the timeout.
std::string receiveText(int fd, double timeoutSeconds = 10.0);

/// Blocks until one byte can be read from fd (the parent's "go"), or EOF.
void awaitByte(int fd);
void sendByte(int fd);

/// A bounded poll for state another process or thread changes (no sleep: it yields the CPU).
/// True as soon as predicate() is; false if it still is not after `seconds`.
template <class Predicate> bool eventually(Predicate predicate, double seconds = 10.0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate()) {
            return true;
        }
        std::this_thread::yield();
    }
    return predicate();
}

/// The data rows every start-method test uses.
void addStartMethodRows();
/// The context for the current row.
Context rowContext();

/// The start methods under which a closure can be the target.
bool rowIsFork();

/// ThreadSanitizer cannot follow a forked child of a multi-threaded process (Qt Test's watchdog
/// makes every test process one) once that child starts threads of its own; such rows are
/// skipped under the tsan preset, and run everywhere else.
#if defined(__SANITIZE_THREAD__)
#define FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN()                                                           \
    do {                                                                                                     \
        if (::forkscope::test::rowIsFork()) {                                                                \
            QSKIP("ThreadSanitizer cannot follow a forked child that starts threads");                       \
        }                                                                                                    \
    } while (false)
#else
#define FORKSCOPE_SKIP_FORKED_THREADS_UNDER_TSAN() static_cast<void>(0)
#endif

/// The same for a whole test function: a scenario run (its session host forks main while its
/// monitor thread runs, and the workers start feeder, pool and proxy threads), or a child with a
/// queue forked beside a Monitor. Under ThreadSanitizer (GCC 12) such children die ("starting
/// new threads after multi-threaded fork is not supported") or, with die_after_fork=0, crash
/// inside the runtime ("dup thread with used id"). Skipped under the tsan preset only; CI runs
/// them under ASan.
#if defined(__SANITIZE_THREAD__)
#define FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN()                                                           \
    QSKIP("ThreadSanitizer cannot follow a child forked from a multi-threaded process that starts threads")
#else
#define FORKSCOPE_SKIP_THREADED_FORKS_UNDER_TSAN() static_cast<void>(0)
#endif

} // namespace forkscope::test
