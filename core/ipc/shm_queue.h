#pragma once

#include "queue_errors.h"
#include "sync/futex.h"
#include "sync/shared_region.h"
#include "tagged_codec.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace forkscope {

/// A bounded multi-producer/multi-consumer ring in shared memory, with the put/get surface of
/// Queue: the design to compare with Python's pipe-and-feeder Queue.
///
/// Dmitry Vyukov's bounded MPMC algorithm: each slot carries a sequence number, so producers and
/// consumers claim slots with one compare-and-swap and never take a lock; an item is copied
/// once, into its slot. Waiting for room or for an item sleeps on a futex and is only woken when
/// somebody waits, so the uncontended path makes no system call at all. Items are at most
/// slotSize bytes (after serialisation); there is no feeder thread, so nothing is lost or
/// pending at exit. A waiting side spins briefly, then yields, before it sleeps. The guard
/// against a lost wake-up (a side publishes, then checks whether the other sleeps) is split by
/// AsymmetricFence: a compiler barrier per put or get, a membarrier(2) per sleep, so the hot
/// path has no locked instruction either. The capacity is rounded up to a power of two.
///
/// Mode::OneToOne is the fast path for one producer and one consumer: no claim, no per-slot
/// sequence number. Each side owns one index (its own cache line) and keeps a private copy of
/// the other's, re-read only when the ring looks full (producer) or empty (consumer), so the
/// two sides touch each other's line once per lap rather than once per item. The first thread
/// to put becomes the producer and the first to get the consumer, for the queue's lifetime
/// (across processes); another thread that tries is refused with a ProcessError, before it
/// touches the ring.
class ShmQueue {
public:
    enum class Mode : std::uint32_t {
        ManyToMany = 1, ///< any number of producers and consumers (Vyukov's MPMC ring)
        OneToOne = 2,   ///< exactly one producing thread and one consuming thread
    };

    /// `name` labels it in a trace (kind ShmQueue, capacity = slots); trace::kUntraced ("")
    /// makes it silent. With no feeder, a put emits QueuePut and QueueFeederWrite itself.
    explicit ShmQueue(std::size_t capacity = 1024, std::size_t slotSize = 256,
                      std::string_view name = "shm-queue", Mode mode = Mode::ManyToMany);

    template <class T> void put(const T& item, bool block = true, Timeout timeout = std::nullopt) {
        putBytes(tagged::encode(item), block, timeout);
    }
    template <class T> [[nodiscard]] T get(bool block = true, Timeout timeout = std::nullopt) {
        return tagged::decode<T>(getBytes(block, timeout), "ShmQueue get<" + typeName<T>() + ">");
    }

    /// Throws QueueFullError when no slot frees up in time, ProcessError when the item is
    /// larger than a slot.
    void putBytes(std::span<const std::uint8_t> item, bool block = true, Timeout timeout = std::nullopt);
    /// Throws QueueEmptyError when nothing arrives in time.
    [[nodiscard]] std::vector<std::uint8_t> getBytes(bool block = true, Timeout timeout = std::nullopt);
    /// The same, reusing the caller's buffer (no allocation per item in a hot loop).
    void getBytesInto(std::vector<std::uint8_t>& item, bool block = true, Timeout timeout = std::nullopt);
    /// Non-blocking forms for hot loops: false instead of an exception.
    bool tryPut(std::span<const std::uint8_t> item);
    bool tryGet(std::vector<std::uint8_t>& item);

    [[nodiscard]] std::size_t qsize() const;
    [[nodiscard]] bool empty() const { return qsize() == 0; }
    [[nodiscard]] bool full() const { return qsize() >= capacity(); }
    [[nodiscard]] std::size_t capacity() const;
    [[nodiscard]] std::size_t slotSize() const;
    [[nodiscard]] Mode mode() const;
    /// The trace object id (the same in every process), 0 when untraced.
    [[nodiscard]] std::uint64_t traceId() const;

    template <class Archive> void save(Archive& ar) const { ar(region_); }
    template <class Archive> void load(Archive& ar) {
        ar(region_);
        bind();
    }

private:
    struct Header;
    struct Slot;
    void bind();
    Slot& slot(std::uint64_t position) const;
    [[nodiscard]] std::uint8_t* slotBytes(std::uint64_t position) const;
    bool tryPutOneToOne(std::span<const std::uint8_t> item);
    bool tryGetOneToOne(std::vector<std::uint8_t>& item);
    /// OneToOne: makes the calling thread the producer (or consumer), or throws if another is.
    void claimRole(bool producer);

    SharedRegion region_;
    Header* header_ = nullptr;
    // OneToOne, this handle's private copies of the other side's index: lower bounds, so a
    // stale copy only costs a re-read. Each written by one side only, on its own cache line.
    alignas(64) std::uint64_t knownTail_ = 0; ///< the producer's copy of the consumer's index
    bool producerClaimed_ = false;
    alignas(64) std::uint64_t knownHead_ = 0; ///< the consumer's copy of the producer's index
    bool consumerClaimed_ = false;
};

} // namespace forkscope
