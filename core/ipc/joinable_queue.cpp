#include "joinable_queue.h"

#include <mutex>

namespace forkscope {

JoinableQueue::JoinableQueue(std::size_t maxsize, std::string_view name)
    : Queue(maxsize, name, ObjectKind::JoinableQueue) {}

void JoinableQueue::onEnqueue() {
    std::lock_guard lock(condition_);
    unfinished_.release();
}

void JoinableQueue::taskDone() {
    std::lock_guard lock(condition_);
    if (!unfinished_.acquire(false)) {
        throw ProcessError("taskDone() called too many times on " + describe() +
                           ": more items were marked done than were put");
    }
    if (unfinished_.getValue() == 0) {
        condition_.notifyAll();
    }
}

bool JoinableQueue::join(Timeout timeout) {
    std::lock_guard lock(condition_);
    return condition_.waitFor([this] { return unfinished_.getValue() == 0; }, timeout);
}

} // namespace forkscope
