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
/// Mode::OneToOne is the fast path for one producer and one consumer: the same slots and
/// sequence numbers, but no compare-and-swap — each side alone moves its index, which the other
/// side never reads on the hot path (it learns of an item, or of a free slot, from the slot's
/// sequence, on the line it reads anyway). An earlier design kept the sizes apart and had each
/// side read the other's index: a line crossed between the cores on every item, and the ring
/// ran at a third of the speed. In both modes a slot's sequence and size sit on a line apart
/// from its payload, so a side that polls a slot never disturbs the other's copy. The first
/// thread to put becomes the producer and the first to get the consumer, for the queue's
/// lifetime (across processes); another thread that tries is refused with a ProcessError,
/// before it touches the ring. Its put and get of a 16–64-byte item are leaf functions that hand
/// every unusual case to the general code (docs/ipc.md says why).
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
        return tagged::decode<T>(getBytes(block, timeout),
                                 [] { return "ShmQueue get<" + typeName<T>() + ">"; });
    }

    // The first attempt is inline and the wait is not: built in the caller's frame, the
    // std::optional timeout is stored a byte at a time and read back whole at once (GCC 12),
    // a load that cannot be forwarded from the store and so waits until the store reaches the
    // cache — behind the ring's own stores, which wait for the other side's core. That stall
    // was a third of a put across processes. Now the timeout is only built for a wait.

    /// Throws QueueFullError when no slot frees up in time, ProcessError when the item is
    /// larger than a slot.
    void putBytes(std::span<const std::uint8_t> item, bool block = true, Timeout timeout = std::nullopt) {
        if (!tryPut(item)) {
            putWaiting(item, block, timeout);
        }
    }
    /// Throws QueueEmptyError when nothing arrives in time.
    [[nodiscard]] std::vector<std::uint8_t> getBytes(bool block = true, Timeout timeout = std::nullopt);
    /// The same, reusing the caller's buffer (no allocation per item in a hot loop).
    void getBytesInto(std::vector<std::uint8_t>& item, bool block = true, Timeout timeout = std::nullopt) {
        if (!tryGet(item)) {
            getWaiting(item, block, timeout);
        }
    }
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
    /// putBytes/getBytesInto after a first attempt failed: spin, yield, then sleep until the
    /// deadline.
    void putWaiting(std::span<const std::uint8_t> item, bool block, Timeout timeout);
    void getWaiting(std::vector<std::uint8_t>& item, bool block, Timeout timeout);
    /// OneToOne, a producer that found the ring full: spins a while until a run of slots is
    /// free rather than the next one (see the definition).
    void awaitRoomAhead() const;
    Slot& slot(std::uint64_t position) const;
    /// tryPut/tryGet for every case: both modes, any item size, tracing, a thread without its
    /// role yet. tryPut and tryGet themselves handle the common one-to-one case and hand the
    /// rest to these.
    bool tryPutGeneral(std::span<const std::uint8_t> item);
    bool tryGetGeneral(std::vector<std::uint8_t>& item);
    /// Claims the slot for the next put (producer) or get, with its position; nullptr when
    /// the ring is full (put) or empty (get). ManyToMany: one compare-and-swap (Vyukov);
    /// OneToOne: the role check, then plain loads and stores of this side's own index.
    Slot* claimSlot(bool producer, std::uint64_t& position);
    /// OneToOne, after the role check: the slot at this side's `index` if its sequence is
    /// `index + ready` (the put's 0, the get's 1), moving the index past it; else nullptr.
    Slot* claimOwnSlot(std::atomic<std::uint64_t>& index, std::uint64_t ready, std::uint64_t& position);
    /// OneToOne: makes the calling thread the producer (or consumer), or throws if another is.
    void claimRole(bool producer);
    /// Throws the ProcessError for an item larger than a slot (out of line: the put stays lean).
    [[noreturn]] void refuseOversizedItem(std::size_t size) const;
    void cacheLayout();

    /// What never changes after creation, copied out of the shared header into the handle so
    /// that a put or get reads it from a line no other process writes, without going through
    /// the region (the hot path is a dozen instructions; each load counts).
    struct Layout {
        std::uint8_t* slots = nullptr; ///< the first slot, in this process's mapping
        std::uint64_t mask = 0;        ///< capacity - 1 (a power of two)
        std::uint32_t stride = 0;
        std::uint32_t slotSize = 0;
        std::uint64_t traceId = 0;
        Mode mode = Mode::ManyToMany;
    };

    SharedRegion region_;
    Header* header_ = nullptr;
    Layout layout_;
    /// No thread has a role through this handle. Not 0: ThreadIdentity::knownTid() is 0 in a
    /// thread that has not looked its tid up yet, and that must never match. A ManyToMany
    /// handle keeps it, so the one-to-one fast path needs no check of the mode.
    static constexpr std::int32_t kNoRole = -1;
    std::int32_t producerTid_ = kNoRole; ///< OneToOne: the thread this handle made the producer
    std::int32_t consumerTid_ = kNoRole; ///< OneToOne: the thread this handle made the consumer
};

} // namespace forkscope
