#pragma once

#include <sys/types.h>

namespace forkscope {

/// The calling thread's pid and tid, cached in thread_local storage so that recording a lock's
/// owner costs two loads instead of two system calls (glibc no longer caches getpid()). A
/// pthread_atfork child handler clears the cache of the forking thread, the only thread a
/// forked child has; threads created later start with an empty cache.
class ThreadIdentity {
public:
    [[nodiscard]] static pid_t pid() noexcept;
    [[nodiscard]] static pid_t tid() noexcept;
};

} // namespace forkscope
