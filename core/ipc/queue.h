#pragma once

#include "connection.h"
#include "events/emit.h"
#include "queue_errors.h"
#include "sync/bounded_semaphore.h"
#include "sync/lock.h"
#include "tagged_codec.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope {

/// What a plot or a diagnosis needs to know about a queue at one instant.
struct QueueSnapshot {
    std::size_t items = 0;           ///< put and not yet got, across all processes (qsize())
    std::size_t bufferedHere = 0;    ///< waiting in this process's feeder buffer, not yet in the pipe
    std::size_t pipeBytesUnread = 0; ///< FIONREAD on the pipe
    std::size_t pipeCapacity = 0;    ///< F_GETPIPE_SZ
    bool feederBlocked = false;      ///< this process's feeder waits for room in the pipe
};

/// Python's multiprocessing.Queue, built the same way so that it fails the same way: a pipe, a
/// feeder thread per putting process that writes the items into the pipe, a reader lock, a
/// writer lock and a bounded semaphore for maxsize.
///
/// put() only appends to a buffer in this process; the feeder writes it to the pipe. A process
/// that has put items does not exit until its feeder has flushed them all into the pipe: if
/// nobody reads, a large item never fits and the process never ends — the join-before-get
/// deadlock of the "Joining processes that use queues" guideline. cancelJoinThread() lets the
/// process exit anyway, losing what was not flushed, as documented for Python.
///
/// A Queue is passed to children as a start argument (its pipe ends, locks and semaphore
/// travel as handles). Items are any cereal-serialisable values (put<T>/get<T>) or raw bytes.
class Queue {
public:
    /// `name` labels the queue in a trace (kind Queue, capacity = its pipe's F_GETPIPE_SZ in
    /// bytes); trace::kUntraced ("") makes it silent. Its pipe, locks and semaphore are never
    /// traced on their own: the queue's events say what they do.
    /// `maxsize` 0 is unbounded; above 2^31 - 1 (the semaphore's range, Python's SEM_VALUE_MAX)
    /// it is refused with ProcessError.
    explicit Queue(std::size_t maxsize = 0, std::string_view name = "queue");

    template <class T> void put(const T& item, bool block = true, Timeout timeout = std::nullopt) {
        putBytes(tagged::encode(item), block, timeout);
    }
    template <class T> [[nodiscard]] T get(bool block = true, Timeout timeout = std::nullopt) {
        return tagged::decode<T>(getBytes(block, timeout),
                                 [&] { return describe() + " get<" + typeName<T>() + ">"; });
    }

    /// Throws QueueFullError when there is no room in time, ProcessError after close().
    void putBytes(std::vector<std::uint8_t> item, bool block = true, Timeout timeout = std::nullopt);
    /// Throws QueueEmptyError when nothing arrives in time, EofError when every writer is gone.
    [[nodiscard]] std::vector<std::uint8_t> getBytes(bool block = true, Timeout timeout = std::nullopt);

    /// Approximate, as in Python: items put (by any process) and not yet got.
    [[nodiscard]] std::size_t qsize() const;
    [[nodiscard]] bool empty() const;
    [[nodiscard]] bool full() const;
    [[nodiscard]] std::size_t maxsize() const;

    /// No more put() or get() from this process; the feeder flushes what is buffered and stops.
    void close();
    /// Waits for the feeder to flush everything (only after close()).
    void joinThread();
    /// This process will not wait for its feeder at exit, and joinThread() returns at once:
    /// buffered items may be lost.
    void cancelJoinThread();

    [[nodiscard]] QueueSnapshot snapshot() const;
    /// The trace object id (the same in every process using the queue), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;
    [[nodiscard]] std::string describe() const;

    template <class Archive> void save(Archive& ar) const {
        ar(shared_->reader, shared_->writer, shared_->readLock, shared_->writeLock, shared_->slots,
           static_cast<std::uint64_t>(shared_->maxsize), shared_->traceId);
    }
    template <class Archive> void load(Archive& ar) {
        auto shared = std::make_shared<Shared>();
        std::uint64_t maxsize = 0;
        ar(shared->reader, shared->writer, shared->readLock, shared->writeLock, shared->slots, maxsize,
           shared->traceId);
        shared->maxsize = static_cast<std::size_t>(maxsize);
        shared_ = std::move(shared);
    }

    friend bool operator==(const Queue& a, const Queue& b) noexcept { return a.shared_ == b.shared_; }

    virtual ~Queue() = default;
    Queue(const Queue&) = default;
    Queue& operator=(const Queue&) = default;
    Queue(Queue&&) = default;
    Queue& operator=(Queue&&) = default;

protected:
    /// For JoinableQueue: registers the queue as `kind`.
    Queue(std::size_t maxsize, std::string_view name, ObjectKind kind);

    /// Runs after put() took a slot and before the feeder can see the item (JoinableQueue
    /// counts the unfinished task here, so a fast consumer can never task_done() it first).
    virtual void onEnqueue() {}

private:
    struct Local;
    /// What every process shares (the pipe, the locks, the semaphore).
    struct Shared {
        Connection reader;
        Connection writer;
        Lock readLock{trace::kUntraced};
        Lock writeLock{trace::kUntraced};
        BoundedSemaphore slots{1, trace::kUntraced};
        std::size_t maxsize = 0;
        std::uint64_t traceId = 0;
        /// This process's feeder state (rebuilt after fork). Written only by local(), under a
        /// process-wide mutex, before `localHere` publishes it; never replaced within a process.
        std::shared_ptr<Local> local;
        std::atomic<Local*> localHere{nullptr}; ///< local.get(), for the lock-free first look
    };
    Shared* sharedOrThrow() const;
    /// This process's Local if it has been built, else nullptr (also when only the parent's,
    /// inherited through fork, is there). Never builds one.
    Local* builtLocal() const;
    /// This process's Local, built on first use.
    Local& local() const;
    void startFeeder(Local& local) const;
    static void feed(std::shared_ptr<Shared> shared, std::shared_ptr<Local> local);
    /// The feeder's write of one batch, with its QueueFeeder* events.
    static void writeTraced(Shared& shared, Local& local,
                            const std::vector<std::vector<std::uint8_t>>& batch);

    std::shared_ptr<Shared> shared_;
};

} // namespace forkscope
