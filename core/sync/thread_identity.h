#pragma once

#include <sys/types.h>

namespace forkscope {

/// The calling thread's pid and tid, cached in thread_local storage so that recording a lock's
/// owner costs two loads instead of two system calls (glibc no longer caches getpid()). A
/// pthread_atfork child handler clears the cache of the forking thread, the only thread a
/// forked child has; threads created later start with an empty cache. The accessors are inline
/// (constant-initialised thread_locals need no TLS wrapper call): they sit on every acquire.
class ThreadIdentity {
public:
    [[nodiscard]] static pid_t pid() noexcept {
        if (pid_ == 0) [[unlikely]] {
            refresh();
        }
        return pid_;
    }
    [[nodiscard]] static pid_t tid() noexcept {
        if (tid_ == 0) [[unlikely]] {
            refresh();
        }
        return tid_;
    }

    /// tid() if this thread has looked it up already, else 0 (never a call: for hot paths that
    /// compare it with a tid recorded earlier by tid(), which a 0 never matches).
    [[nodiscard]] static pid_t knownTid() noexcept { return tid_; }

private:
    static void refresh() noexcept;
    static void forgetAfterFork() noexcept;
    static const bool atforkRegistered_;
    static inline thread_local pid_t pid_ = 0;
    static inline thread_local pid_t tid_ = 0;
};

} // namespace forkscope
