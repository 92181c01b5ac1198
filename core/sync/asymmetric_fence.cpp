#include "asymmetric_fence.h"

#include "process/errors.h"

#include <cerrno>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace forkscope {

namespace {

int membarrier(int command) {
    return static_cast<int>(::syscall(SYS_membarrier, command, 0, 0));
}

/// Whether the kernel has the global expedited barrier (Linux 4.16+), asked once per program.
bool kernelHasGlobalExpedited() {
    static const bool has = [] {
        const int commands = membarrier(MEMBARRIER_CMD_QUERY);
        return commands > 0 && (commands & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0 &&
               (commands & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != 0;
    }();
    return has;
}

/// ThreadSanitizer does not model fences and GCC refuses them under -fsanitize=thread with
/// -Werror; the users of this fence order atomics only (their payload is ordered by
/// release/acquire, which TSan does see), so the warning is silenced.
void fullFence() noexcept {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wtsan"
    std::atomic_thread_fence(std::memory_order_seq_cst);
#pragma GCC diagnostic pop
}

} // namespace

// A forked child is a new process for the kernel: not registered, whatever its parent was.
const bool AsymmetricFence::atforkRegistered_ =
    ::pthread_atfork(nullptr, nullptr, &AsymmetricFence::forgetAfterFork) == 0;

void AsymmetricFence::forgetAfterFork() noexcept {
    // Written only when it changes: a store would copy the page in every forked child (a
    // copy-on-write fault), also in the many that never use a ring.
    if (state_.load(std::memory_order_relaxed) != State::Unknown) {
        state_.store(State::Unknown, std::memory_order_relaxed);
    }
}

void AsymmetricFence::lightSlow() noexcept {
    if (state_.load(std::memory_order_relaxed) == State::Unknown) {
        // Registering twice (two threads racing here) is harmless: the second call is a no-op.
        const bool registered =
            kernelHasGlobalExpedited() && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
        state_.store(registered ? State::Registered : State::Unavailable, std::memory_order_relaxed);
    }
    fullFence();
}

void AsymmetricFence::heavy() {
    if (kernelHasGlobalExpedited() && membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0) {
        throw OsError("membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) before sleeping on shared memory", errno);
    }
    fullFence();
}

} // namespace forkscope
