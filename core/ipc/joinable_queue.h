#pragma once

#include "queue.h"
#include "sync/condition.h"
#include "sync/semaphore.h"

namespace forkscope {

/// Python's multiprocessing.JoinableQueue: a Queue that counts unfinished tasks. Every put()
/// adds one, every taskDone() removes one, and join() waits until none is left.
class JoinableQueue : public Queue {
public:
    /// `name` labels it in a trace (kind JoinableQueue); see Queue.
    explicit JoinableQueue(std::size_t maxsize = 0, std::string_view name = "joinable-queue");

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
    // Building blocks: the queue's own events describe the queue.
    Semaphore unfinished_{0, trace::kUntraced};
    Condition condition_{Lock(trace::kUntraced), trace::kUntraced};
};

} // namespace forkscope
