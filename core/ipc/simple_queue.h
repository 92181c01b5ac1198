#pragma once

#include "connection.h"
#include "events/emit.h"
#include "sync/lock.h"
#include "tagged_codec.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace forkscope {

/// Python's multiprocessing.SimpleQueue: a pipe and two locks, no feeder thread. put() writes
/// into the pipe itself (so it blocks when the pipe is full), get() reads one item.
class SimpleQueue {
public:
    /// `name` labels it in a trace (kind SimpleQueue, capacity = the pipe's size in bytes);
    /// trace::kUntraced ("") makes it silent. There is no feeder: put() itself emits QueuePut and
    /// QueueFeederWrite once the item is in the pipe.
    explicit SimpleQueue(std::string_view name = "simple-queue");

    template <class T> void put(const T& item) { putBytes(tagged::encode(item)); }
    template <class T> [[nodiscard]] T get(Timeout timeout = std::nullopt) {
        return tagged::decode<T>(getBytes(timeout), [] { return "SimpleQueue get<" + typeName<T>() + ">"; });
    }
    void putBytes(const std::vector<std::uint8_t>& item);
    /// Throws QueueEmptyError when nothing arrives within the timeout (nullopt: wait forever).
    [[nodiscard]] std::vector<std::uint8_t> getBytes(Timeout timeout = std::nullopt);
    [[nodiscard]] bool empty() const;
    void close();

    template <class Archive> void save(Archive& ar) const {
        ar(d_->reader, d_->writer, d_->readLock, d_->writeLock, d_->traceId);
    }
    template <class Archive> void load(Archive& ar) {
        d_ = std::make_shared<State>();
        ar(d_->reader, d_->writer, d_->readLock, d_->writeLock, d_->traceId);
    }
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const { return d_->traceId; }

private:
    struct State {
        Connection reader;
        Connection writer;
        Lock readLock{trace::kUntraced};
        Lock writeLock{trace::kUntraced};
        std::uint64_t traceId = 0;
    };
    std::shared_ptr<State> d_;
};

} // namespace forkscope
