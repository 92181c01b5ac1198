#include "queue.h"

#include "events/wait_trace.h"
#include "frame_codec.h"
#include "pipe.h"
#include "process/runtime.h"
#include "sync/futex.h"
#include "sync/thread_identity.h"

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace forkscope {

namespace {
// Python uses SEM_VALUE_MAX for an unbounded queue; the semaphore's counter is 32 bits.
constexpr std::uint32_t kUnbounded = 0x7fffffff;
/// A writer blocks once less than this is free in the pipe (the kernel's atomic write unit).
constexpr std::size_t kPipeBuf = 4096;
} // namespace

/// The part of a queue that belongs to one process: its feeder thread and the buffer the
/// feeder drains. A forked child starts with a fresh one (the parent's thread does not exist
/// there), exactly like Python's Queue._after_fork().
struct Queue::Local {
    pid_t pid = ThreadIdentity::pid();
    std::mutex mutex;
    std::condition_variable notEmpty;
    std::vector<std::vector<std::uint8_t>> buffer;
    std::thread feeder;
    bool closing = false;            ///< close() was called: flush, then stop
    std::atomic<bool> closed{false}; ///< written under `mutex`; get() reads it without
    bool joinCancelled = false;
    std::atomic<std::size_t> buffered{0};
    /// The feeder is inside a write. Together with a full pipe, seen by snapshot(), that is a
    /// blocked feeder; the hot path pays two stores per batch, the observer pays the ioctl.
    std::atomic<bool> writing{false};
    std::size_t pipeCapacity = 0; ///< the feeder's F_GETPIPE_SZ, asked once (tracing only)
};

namespace {
/// Blocked(queue, QueueFeederWrite) / Running around a wait for this process's feeder to flush
/// (exit hook, joinThread()), when there is something left to flush: that wait is what keeps a
/// process that put a large item from ending while nobody reads (the join-before-get deadlock).
template <class Join> void joinFeederTraced(std::uint64_t id, std::size_t buffered, Join join) {
    WaitTrace wait;
    if (buffered > 0) {
        wait.begin(id, EventType::QueueFeederWrite);
    }
    join();
    wait.end();
}
} // namespace

Queue::Queue(std::size_t maxsize, std::string_view name) : Queue(maxsize, name, ObjectKind::Queue) {}

Queue::Queue(std::size_t maxsize, std::string_view name, ObjectKind kind)
    : shared_(std::make_shared<Shared>()) {
    if (maxsize > kUnbounded) {
        // Cast to the semaphore's 32 bits it would wrap (2^32 would become a queue of 0).
        throw ProcessError("Queue(maxsize=" + std::to_string(maxsize) + "): more than " +
                           std::to_string(kUnbounded) + ", the most a semaphore can count");
    }
    auto [reader, writer] = makePipe(false, trace::kUntraced);
    shared_->reader = std::move(reader);
    shared_->writer = std::move(writer);
    shared_->slots =
        BoundedSemaphore(maxsize == 0 ? kUnbounded : static_cast<std::uint32_t>(maxsize), trace::kUntraced);
    shared_->maxsize = maxsize;
    // Capacity in the trace: the pipe's size in bytes (F_GETPIPE_SZ), what the feeder can write
    // before it blocks; asked for only when the monitor will record it.
    const std::uint64_t capacity = trace::enabled() ? shared_->writer.capacity() : 0;
    shared_->traceId = trace::objectId(kind, name, capacity);
}

std::uint64_t Queue::traceId() const {
    return sharedOrThrow()->traceId;
}

Queue::Shared* Queue::sharedOrThrow() const {
    if (!shared_) {
        throw ProcessError("use of a moved-from Queue");
    }
    return shared_.get();
}

namespace {
/// Serialises the creation of a process's Local across threads. Held across no fork (the atfork
/// handlers take it before and release it after), so a fork child never inherits it locked.
std::mutex g_localCreation;
std::once_flag g_localCreationAtfork;
} // namespace

Queue::Local* Queue::builtLocal() const {
    Local* here = sharedOrThrow()->localHere.load(std::memory_order_acquire);
    return here != nullptr && here->pid == ThreadIdentity::pid() ? here : nullptr;
}

Queue::Local& Queue::local() const {
    if (Local* here = builtLocal()) {
        return *here;
    }
    Shared* shared = sharedOrThrow();
    const pid_t pid = ThreadIdentity::pid();
    std::call_once(g_localCreationAtfork, [] {
        ::pthread_atfork([] { g_localCreation.lock(); }, [] { g_localCreation.unlock(); },
                         [] { g_localCreation.unlock(); });
    });
    // Two threads of a process may put for the first time at once: one creates, the other
    // waits here and then finds it.
    std::lock_guard lock(g_localCreation);
    if (shared->local && shared->local->pid == pid) {
        return *shared->local;
    }
    if (shared->local) {
        // Inherited through fork: its thread object names a thread of the parent, and its
        // mutex may have been held at fork time. Never touch or destroy it here.
        new std::shared_ptr<Local>(std::move(shared->local)); // NOLINT: deliberate leak in the child
    }
    shared->local = std::make_shared<Local>();
    shared->localHere.store(shared->local.get(), std::memory_order_release);
    return *shared->local;
}

std::string Queue::describe() const {
    return "Queue(maxsize=" + std::to_string(shared_ ? shared_->maxsize : 0) + ", pipe fd " +
           (shared_ && !shared_->reader.closed() ? std::to_string(shared_->reader.fileno())
                                                 : std::string("closed")) +
           ")";
}

void Queue::putBytes(std::vector<std::uint8_t> item, bool block, Timeout timeout) {
    Shared* shared = sharedOrThrow();
    Local& here = local();
    {
        std::lock_guard lock(here.mutex);
        if (here.closed) {
            throw ProcessError(describe() + " is closed");
        }
    }
    const std::uint64_t id = shared->traceId;
    if (!shared->slots.acquire(false)) {
        WaitTrace wait;
        if (block) {
            wait.begin(id, EventType::QueuePut);
        }
        if (!block || !shared->slots.acquire(true, timeout)) {
            throw QueueFullError(describe() + " is full (" + std::to_string(shared->maxsize) + " items)");
        }
        wait.end();
    }
    {
        std::lock_guard lock(here.mutex);
        if (!here.feeder.joinable()) {
            startFeeder(here);
        }
        onEnqueue();
        const std::size_t size = item.size();
        here.buffer.push_back(std::move(item));
        ++here.buffered;
        // Under the buffer's mutex: the feeder cannot have written the item yet, so QueuePut
        // always precedes its QueueFeederWrite and QueueGet in the trace.
        trace::emit(EventType::QueuePut, id, size);
    }
    here.notEmpty.notify_one();
}

std::vector<std::uint8_t> Queue::getBytes(bool block, Timeout timeout) {
    Shared* shared = sharedOrThrow();
    if (local().closed) {
        throw ProcessError(describe() + " is closed");
    }
    const std::uint64_t id = shared->traceId;
    // A consumer that will have to wait says so first, only with tracing on. With no item put
    // and not yet got (the shared semaphore, one load) the pipe holds no frame: it waits, no
    // system call needed. Otherwise the item may still be in a feeder's buffer: poll(0).
    WaitTrace wait;
    if (block && id != 0 && trace::enabled() && (qsize() == 0 || !shared->reader.poll(0.0))) {
        wait.begin(id, EventType::QueueGet);
    }
    if (block && !timeout) {
        std::vector<std::uint8_t> item;
        {
            std::lock_guard lock(shared->readLock);
            item = shared->reader.recvBytes();
        }
        wait.end();
        trace::emit(EventType::QueueGet, id, item.size());
        shared->slots.release();
        return item;
    }
    const Deadline deadline = Deadline::after(block ? timeout : Timeout(0.0));
    if (!shared->readLock.acquire(block, timeout)) {
        throw QueueEmptyError(describe() + " is empty");
    }
    std::lock_guard lock(shared->readLock, std::adopt_lock);
    if (!shared->reader.poll(block ? deadline.remaining() : Timeout(0.0))) {
        throw QueueEmptyError(describe() + " is empty");
    }
    std::vector<std::uint8_t> item = shared->reader.recvBytes();
    wait.end();
    trace::emit(EventType::QueueGet, id, item.size());
    shared->slots.release();
    return item;
}

std::size_t Queue::qsize() const {
    const Shared* shared = sharedOrThrow();
    const std::uint32_t capacity =
        shared->maxsize == 0 ? kUnbounded : static_cast<std::uint32_t>(shared->maxsize);
    return capacity - shared->slots.getValue();
}

bool Queue::empty() const {
    return !sharedOrThrow()->reader.poll(0.0);
}

bool Queue::full() const {
    return sharedOrThrow()->slots.getValue() == 0;
}

std::size_t Queue::maxsize() const {
    return sharedOrThrow()->maxsize;
}

void Queue::close() {
    Shared* shared = sharedOrThrow();
    Local& here = local();
    {
        std::lock_guard lock(here.mutex);
        if (here.closed) {
            return;
        }
        here.closed = true;
        here.closing = true;
    }
    here.notEmpty.notify_one();
    shared->reader.close();
}

void Queue::joinThread() {
    Local& here = local();
    bool cancelled = false;
    {
        std::lock_guard lock(here.mutex);
        if (!here.closed) {
            throw ProcessError("joinThread() on " + describe() +
                               " before close(): the feeder would never stop");
        }
        cancelled = here.joinCancelled;
    }
    // As in Python, cancelJoinThread() cancels this join too: the feeder may be stuck on a
    // pipe nobody reads, and the caller said it will not wait for it.
    if (!cancelled && here.feeder.joinable() && here.feeder.get_id() != std::this_thread::get_id()) {
        joinFeederTraced(sharedOrThrow()->traceId, here.buffered.load(), [&] { here.feeder.join(); });
    }
}

void Queue::cancelJoinThread() {
    Local& here = local();
    std::lock_guard lock(here.mutex);
    here.joinCancelled = true;
}

QueueSnapshot Queue::snapshot() const {
    const Shared* shared = sharedOrThrow();
    QueueSnapshot s;
    s.items = qsize();
    Local* here = builtLocal(); // none yet, or only the parent's, inherited through fork
    // This process's feeder closes the write end under its mutex once it has flushed after
    // close(): hold it while the end is looked at, so the fd is never read as it is closed.
    std::unique_lock<std::mutex> feederState;
    if (here != nullptr) {
        feederState = std::unique_lock(here->mutex);
        s.bufferedHere = here->buffered.load();
    }
    const Connection& end = shared->writer.closed() ? shared->reader : shared->writer;
    if (!end.closed()) {
        s.pipeBytesUnread = end.bytesUnread();
        s.pipeCapacity = end.capacity();
    }
    const bool writing = here != nullptr && here->writing.load();
    s.feederBlocked = writing && s.pipeCapacity > 0 && s.pipeBytesUnread + kPipeBuf > s.pipeCapacity;
    return s;
}

void Queue::startFeeder(Local& here) const {
    // Called with here.mutex held.
    std::shared_ptr<Shared> shared = shared_;
    std::shared_ptr<Local> local = shared_->local;
    const std::uint64_t id = shared_->traceId;
    here.feeder = std::thread(&Queue::feed, shared, local);
    // The process may not end before the feeder has written everything (unless cancelled):
    // this hook is what makes "join before get" deadlock, as the guideline warns.
    atProcessExit([local, id] {
        bool cancelled = false;
        {
            std::lock_guard lock(local->mutex);
            local->closing = true;
            cancelled = local->joinCancelled;
        }
        local->notEmpty.notify_one();
        if (!local->feeder.joinable()) {
            return; // joinThread() already waited for it
        }
        if (cancelled) {
            local->feeder.detach();
        } else {
            joinFeederTraced(id, local->buffered.load(), [&] { local->feeder.join(); });
        }
    });
}

void Queue::writeTraced(Shared& shared, Local& local, const std::vector<std::vector<std::uint8_t>>& batch) {
    const std::uint64_t id = shared.traceId;
    if (id == 0 || !trace::enabled()) {
        shared.writer.sendMessages(batch);
        return;
    }
    // Does the write block? The connection tries it without waiting first and calls the hook
    // only when the rest has to wait for room: no system call is added when the pipe has room.
    std::size_t pending = 0;
    for (const auto& item : batch) {
        pending += FrameCodec::kHeaderSize + item.size();
    }
    bool blocked = false;
    const std::function<void()> beforeBlocking = [&] {
        blocked = true;
        if (local.pipeCapacity == 0) {
            local.pipeCapacity = shared.writer.capacity();
        }
        // aux: the pipe's capacity, which the write fills before it blocks (the event that
        // shows the pipe full, since no QueueFeederWrite comes until the write completes).
        trace::emit(EventType::QueueFeederBlocked, id, pending,
                    static_cast<std::uint32_t>(std::min<std::size_t>(local.pipeCapacity, UINT32_MAX)));
    };
    shared.writer.sendMessages(batch, &beforeBlocking);
    if (blocked) {
        trace::emit(EventType::QueueFeederUnblocked, id, 0);
    }
    for (const auto& item : batch) {
        trace::emit(EventType::QueueFeederWrite, id, item.size());
    }
}

void Queue::feed(std::shared_ptr<Shared> shared, std::shared_ptr<Local> local) {
    Connection::blockSigpipeInThisThread(); // a vanished reader is an error to report, not a signal
    std::vector<std::vector<std::uint8_t>> batch;
    for (;;) {
        bool stopAfterBatch = false;
        {
            std::unique_lock lock(local->mutex);
            local->notEmpty.wait(lock, [&] { return !local->buffer.empty() || local->closing; });
            batch.swap(local->buffer);
            stopAfterBatch = local->closing;
        }
        if (!batch.empty()) {
            // Everything buffered goes out under one hold of the writer lock, in as few writes
            // as possible; Python's feeder writes item by item, with the same effect.
            try {
                std::lock_guard lock(shared->writeLock);
                local->writing = true;
                writeTraced(*shared, *local, batch);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "forkscope: queue feeder could not write %zu item(s): %s\n",
                             batch.size(), e.what());
            }
            local->writing = false;
            local->buffered -= batch.size();
            batch.clear();
        }
        if (stopAfterBatch) {
            std::lock_guard lock(local->mutex);
            if (local->buffer.empty()) {
                shared->writer.close();
                return;
            }
        }
    }
}

} // namespace forkscope
