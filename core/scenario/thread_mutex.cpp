#include "thread_mutex.h"

#include "events/emit.h"

namespace forkscope {

ThreadMutex::ThreadMutex(std::string name) : id_(trace::registerObject(ObjectKind::ThreadMutex, name)) {}

bool ThreadMutex::lock(std::chrono::milliseconds timeout) {
    if (!mutex_.try_lock()) {
        trace::emit(EventType::LockWait, id_);
        const bool got = timeout == std::chrono::milliseconds::max() ? (mutex_.lock(), true)
                                                                     : mutex_.try_lock_for(timeout);
        if (!got) {
            trace::emit(EventType::Running, id_, 1);
            return false;
        }
    }
    trace::emit(EventType::LockAcquire, id_, 1);
    return true;
}

void ThreadMutex::unlock() {
    trace::emit(EventType::LockRelease, id_, 0);
    mutex_.unlock();
}

} // namespace forkscope
