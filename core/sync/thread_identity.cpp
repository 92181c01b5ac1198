#include "thread_identity.h"

#include <pthread.h>
#include <unistd.h>

namespace forkscope {

void ThreadIdentity::refresh() noexcept {
    pid_ = ::getpid();
    tid_ = ::gettid();
}

void ThreadIdentity::forgetAfterFork() noexcept {
    pid_ = 0;
    tid_ = 0;
}

// Initialised at program start-up: this file is linked whenever an identity is looked up,
// since refresh() lives here.
const bool ThreadIdentity::atforkRegistered_ =
    ::pthread_atfork(nullptr, nullptr, &ThreadIdentity::forgetAfterFork) == 0;

} // namespace forkscope
