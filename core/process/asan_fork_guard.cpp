// Compiled into every executable of the ASan build only (see the top-level CMakeLists.txt).
//
// Why: GCC 12's AddressSanitizer runtime (LLVM 13's) takes no lock around fork(). A child forked
// while another thread of its parent is inside the sanitizer's allocator (the session host's
// monitor thread, a scenario's own threads, a pool's background thread) inherits that allocator
// lock held by a thread that does not exist in the child, and hangs at its first malloc. glibc's
// own malloc is fork-safe, so the dev build never shows this: under ASan the whole suite did.
// LLVM 17 fixed it in the runtime (asan_posix.cpp, InstallAtForkHandler); this file is that fix
// for the runtime Debian 12 ships: lock the thread registry, the allocator and the stack depot
// before fork, release them in both processes after it. The three functions are internal to the
// runtime, so the ASan build links it statically (-static-libasan), where they can be named.

#if defined(__SANITIZE_ADDRESS__) && defined(__GNUC__) && !defined(__clang__)

#include <pthread.h>

namespace __lsan { // NOLINT(bugprone-reserved-identifier): the runtime's own namespace
void LockThreadRegistry();
void UnlockThreadRegistry();
void LockAllocator();
void UnlockAllocator();
} // namespace __lsan

namespace __sanitizer { // NOLINT(bugprone-reserved-identifier)
void StackDepotLockAll();
void StackDepotUnlockAll();
} // namespace __sanitizer

namespace {

// The order is the runtime's own (asan_posix.cpp in LLVM 17): registry, allocator, stack depot.
void lockBeforeFork() {
    __lsan::LockThreadRegistry();
    __lsan::LockAllocator();
    __sanitizer::StackDepotLockAll();
}

void unlockAfterFork() {
    __sanitizer::StackDepotUnlockAll();
    __lsan::UnlockAllocator();
    __lsan::UnlockThreadRegistry();
}

// Registered before any other handler of the program: prepare handlers run in the reverse order
// of registration, so this one runs last before fork (the others may still allocate), and its
// parent/child halves run first after it (the others may allocate again at once).
__attribute__((constructor(101))) void installAsanForkGuard() {
    ::pthread_atfork(&lockBeforeFork, &unlockAfterFork, &unlockAfterFork);
}

} // namespace

#endif
