#pragma once

#include "event.h"
#include "process/unique_fd.h"
#include "trace_clock.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace forkscope {

/// One process's event buffer in shared memory (a memfd, mapped by the process and by the
/// monitor). It is split into a few *lanes*, each a single-producer single-consumer ring: a
/// thread claims a lane on its first event (one CAS per lane, bounded), so every lane has one
/// writer and the monitor is the only reader. Pushing is wait-free: two atomic loads, a 40-byte
/// copy and a release store; no syscall, no lock. A full lane drops the event and counts it in
/// the shared header, so a worker is never slowed down by an observer that falls behind.
class EventRing {
public:
    static constexpr std::uint64_t kMagic = 0x676e695273636b46ULL; // "FkcsRing"
    /// 2: the header carries the session's clock map; 3: slots hold the raw TSC under that map.
    static constexpr std::uint32_t kVersion = 3;
    static constexpr std::uint32_t kMaxLanes = 64;
    static constexpr std::uint32_t kMaxLaneCapacity = std::uint32_t{1} << 24;

    struct alignas(64) Lane {
        alignas(64) std::atomic<std::uint64_t> head{0}; ///< written by the producer only
        std::atomic<std::uint64_t> dropped{0};          ///< written by the producer only
        std::atomic<std::uint64_t> unreportedDrops{0};  ///< producer-private: drops not yet marked
        std::atomic<std::int32_t> owner{0};             ///< tid of the thread that owns the lane, 0 = free
        alignas(64) std::atomic<std::uint64_t> tail{0}; ///< written by the consumer only
    };

    struct alignas(64) Header {
        std::uint64_t magic;
        std::uint32_t version;
        std::uint32_t laneCount;
        std::uint32_t laneCapacity; ///< events per lane, a power of two
        std::uint32_t reserved;
        std::atomic<std::int32_t> pid{0};            ///< the owning process, set when it adopts the ring
        std::atomic<std::uint64_t> droppedNoLane{0}; ///< events from threads that found no free lane
        /// The session's TSC-to-nanoseconds map (see TraceClock), written by the parent before
        /// the child starts; all zero when the session stamps events with clock_gettime.
        trace::ClockCalibration clock;
    };

    static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared-memory atomics must be lock-free");
    static_assert(std::atomic<std::int32_t>::is_always_lock_free, "shared-memory atomics must be lock-free");

    /// A new ring in a fresh memfd (close-on-exec). laneCapacity is rounded up to a power of two.
    static EventRing create(std::uint32_t laneCount, std::uint32_t laneCapacity);
    /// Maps an existing ring; validates the header against the memfd's size. Throws OsError or
    /// ProcessError (a damaged header) with a message saying what is wrong.
    static EventRing attach(int fd);

    EventRing() = default;
    EventRing(EventRing&& other) noexcept;
    EventRing& operator=(EventRing&& other) noexcept;
    EventRing(const EventRing&) = delete;
    EventRing& operator=(const EventRing&) = delete;
    ~EventRing();

    [[nodiscard]] bool valid() const noexcept { return header_ != nullptr; }
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    /// Closes the memfd; the mapping stays valid.
    void closeFd() noexcept { fd_.reset(); }

    [[nodiscard]] std::uint32_t laneCount() const noexcept { return header_->laneCount; }
    [[nodiscard]] std::uint32_t laneCapacity() const noexcept { return header_->laneCapacity; }
    [[nodiscard]] std::int32_t ownerPid() const noexcept {
        return header_->pid.load(std::memory_order_acquire);
    }
    void setOwnerPid(std::int32_t pid) noexcept { header_->pid.store(pid, std::memory_order_release); }
    /// The clock map the ring's process must use (set by the parent before the child starts).
    [[nodiscard]] trace::ClockCalibration clock() const noexcept { return header_->clock; }
    void setClock(const trace::ClockCalibration& c) noexcept { header_->clock = c; }

    // --- producer side -------------------------------------------------------------------
    /// Claims a free lane for thread `tid`; -1 when all are taken.
    [[nodiscard]] int claimLane(std::int32_t tid) noexcept;
    void releaseLane(int lane, std::int32_t tid) noexcept;
    /// Counts an event that could not even get a lane.
    void dropWithoutLane() noexcept { header_->droppedNoLane.fetch_add(1, std::memory_order_relaxed); }

    /// Appends e to the lane (only its owner may call this). Returns false, counting a drop,
    /// when the lane is full. After drops, the next successful push is preceded by an
    /// EventsDropped marker so the timeline shows where the gap is.
    [[gnu::always_inline]] bool push(int lane, const Event& e) noexcept {
        Lane& l = lanes_[lane];
        Event* slots = slots_ + static_cast<std::size_t>(lane) * header_->laneCapacity;
        const std::uint64_t mask = header_->laneCapacity - 1;
        std::uint64_t head = l.head.load(std::memory_order_relaxed);
        const std::uint64_t tail = l.tail.load(std::memory_order_acquire);
        const std::uint64_t pending = l.unreportedDrops.load(std::memory_order_relaxed);
        const std::uint64_t needed = pending != 0 ? 2 : 1;
        if (head - tail + needed > header_->laneCapacity) {
            l.dropped.store(l.dropped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            l.unreportedDrops.store(pending + 1, std::memory_order_relaxed);
            return false;
        }
        // Field by field, never as a whole struct: with push() inlined into an emit, `e` then
        // lives in registers instead of being built on the stack and copied (a third of an
        // emit's time).
        if (pending != 0) {
            writeSlot(slots[head & mask], e.ts, 0, pending, e.pid, e.tid, EventType::EventsDropped, 0);
            ++head;
            l.unreportedDrops.store(0, std::memory_order_relaxed);
        }
        writeSlot(slots[head & mask], e.ts, e.object, e.arg, e.pid, e.tid, e.type, e.aux);
        // Asks for the line 16 events ahead, for writing: a lane is larger than the cache and
        // the monitor has read its lines since the last lap, so each new line would otherwise
        // be fetched when the store reaches it (a traced lock pair, two events: 82 → 74 ns).
        __builtin_prefetch(slots + ((head + 16) & mask), 1);
        l.head.store(head + 1, std::memory_order_release);
        return true;
    }

    // --- consumer side (one monitor) ----------------------------------------------------
    /// Moves every event currently in the ring to `out` (appending); returns how many.
    std::size_t drain(std::vector<Event>& out);
    /// Events lost so far (full lanes plus threads without a lane).
    [[nodiscard]] std::uint64_t dropped() const noexcept;
    /// Whether any lane holds undrained events.
    [[nodiscard]] bool empty() const noexcept;

    /// Bytes of shared memory for a ring of this shape.
    [[nodiscard]] static std::size_t bytesFor(std::uint32_t laneCount, std::uint32_t laneCapacity) noexcept;

private:
    static void writeSlot(Event& slot, std::int64_t ts, std::uint64_t object, std::uint64_t arg,
                          std::int32_t pid, std::int32_t tid, EventType type, std::uint32_t aux) noexcept {
        slot.ts = ts;
        slot.object = object;
        slot.arg = arg;
        slot.pid = pid;
        slot.tid = tid;
        slot.type = type;
        slot.reserved = 0;
        slot.aux = aux;
    }
    void map(std::size_t size);
    void unmap() noexcept;

    UniqueFd fd_;
    void* base_ = nullptr;
    std::size_t size_ = 0;
    Header* header_ = nullptr;
    Lane* lanes_ = nullptr;
    Event* slots_ = nullptr;
};

} // namespace forkscope
