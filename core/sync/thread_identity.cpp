#include "thread_identity.h"

#include <pthread.h>
#include <unistd.h>

namespace forkscope {

namespace {
thread_local pid_t t_pid = 0;
thread_local pid_t t_tid = 0;

void refresh() noexcept {
    t_pid = ::getpid();
    t_tid = ::gettid();
}

void forgetAfterFork() noexcept {
    t_pid = 0;
    t_tid = 0;
}

// Registered by a static initialiser of this file, which is linked whenever pid()/tid() are used.
[[maybe_unused]] const bool g_atforkRegistered = ::pthread_atfork(nullptr, nullptr, &forgetAfterFork) == 0;
} // namespace

pid_t ThreadIdentity::pid() noexcept {
    if (t_pid == 0) [[unlikely]] {
        refresh();
    }
    return t_pid;
}

pid_t ThreadIdentity::tid() noexcept {
    if (t_tid == 0) [[unlikely]] {
        refresh();
    }
    return t_tid;
}

} // namespace forkscope
