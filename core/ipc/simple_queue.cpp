#include "simple_queue.h"

#include "events/wait_trace.h"
#include "pipe.h"
#include "queue_errors.h"
#include "sync/futex.h"

#include <mutex>

namespace forkscope {

SimpleQueue::SimpleQueue(std::string_view name) : d_(std::make_shared<State>()) {
    auto [reader, writer] = makePipe(false, trace::kUntraced);
    d_->reader = std::move(reader);
    d_->writer = std::move(writer);
    const std::uint64_t capacity = trace::enabled() ? d_->writer.capacity() : 0;
    d_->traceId = trace::objectId(ObjectKind::SimpleQueue, name, capacity);
}

void SimpleQueue::putBytes(const std::vector<std::uint8_t>& item) {
    std::lock_guard lock(d_->writeLock);
    d_->writer.sendBytes(std::span<const std::uint8_t>(item));
    trace::emit(EventType::QueuePut, d_->traceId, item.size());
    trace::emit(EventType::QueueFeederWrite, d_->traceId, item.size());
}

std::vector<std::uint8_t> SimpleQueue::getBytes(Timeout timeout) {
    const Deadline deadline = Deadline::after(timeout);
    const std::uint64_t id = d_->traceId;
    WaitTrace wait;
    if (id != 0 && trace::enabled() && !d_->reader.poll(0.0)) {
        wait.begin(id, EventType::QueueGet);
    }
    if (!d_->readLock.acquire(true, timeout)) {
        throw QueueEmptyError("SimpleQueue is empty");
    }
    std::lock_guard lock(d_->readLock, std::adopt_lock);
    if (timeout && !d_->reader.poll(deadline.remaining())) {
        throw QueueEmptyError("SimpleQueue is empty");
    }
    std::vector<std::uint8_t> item = d_->reader.recvBytes();
    wait.end();
    trace::emit(EventType::QueueGet, id, item.size());
    return item;
}

bool SimpleQueue::empty() const {
    return !d_->reader.poll(0.0);
}

void SimpleQueue::close() {
    d_->reader.close();
    d_->writer.close();
}

} // namespace forkscope
