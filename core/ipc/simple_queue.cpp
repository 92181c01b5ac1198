#include "simple_queue.h"

#include "pipe.h"
#include "queue_errors.h"
#include "sync/futex.h"

#include <mutex>

namespace forkscope {

SimpleQueue::SimpleQueue() : d_(std::make_shared<State>()) {
    auto [reader, writer] = makePipe(false);
    d_->reader = std::move(reader);
    d_->writer = std::move(writer);
}

void SimpleQueue::putBytes(const std::vector<std::uint8_t>& item) {
    std::lock_guard lock(d_->writeLock);
    d_->writer.sendBytes(std::span<const std::uint8_t>(item));
}

std::vector<std::uint8_t> SimpleQueue::getBytes(Timeout timeout) {
    const Deadline deadline = Deadline::after(timeout);
    if (!d_->readLock.acquire(true, timeout)) {
        throw QueueEmptyError("SimpleQueue is empty");
    }
    std::lock_guard lock(d_->readLock, std::adopt_lock);
    if (timeout && !d_->reader.poll(deadline.remaining())) {
        throw QueueEmptyError("SimpleQueue is empty");
    }
    return d_->reader.recvBytes();
}

bool SimpleQueue::empty() const {
    return !d_->reader.poll(0.0);
}

void SimpleQueue::close() {
    d_->reader.close();
    d_->writer.close();
}

} // namespace forkscope
