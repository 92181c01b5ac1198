#pragma once

#include "queue.h"
#include "sync/condition.h"
#include "sync/semaphore.h"

namespace forkscope {

/// Python's multiprocessing.JoinableQueue: a Queue that counts unfinished tasks. Every put()
/// adds one, every taskDone() removes one, and join() waits until none is left.
class JoinableQueue : public Queue {
public:
    explicit JoinableQueue(std::size_t maxsize = 0);

    /// Marks one item as processed. More calls than items put is a ProcessError, as Python's
    /// ValueError("task_done() called too many times").
    void taskDone();
    /// Waits until every item put has been marked done; false if the timeout expired first.
    bool join(Timeout timeout = std::nullopt);
    /// Items put and not yet marked done.
    [[nodiscard]] std::uint32_t unfinishedTasks() const { return unfinished_.getValue(); }

    template <class Archive> void save(Archive& ar) const {
        Queue::save(ar);
        ar(unfinished_, condition_);
    }
    template <class Archive> void load(Archive& ar) {
        Queue::load(ar);
        ar(unfinished_, condition_);
    }

protected:
    void onEnqueue() override;

private:
    Semaphore unfinished_{0};
    Condition condition_{Lock()};
};

} // namespace forkscope
