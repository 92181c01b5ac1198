#include "shm_queue.h"

#include "events/wait_trace.h"
#include "process/errors.h"
#include "sync/asymmetric_fence.h"
#include "sync/cpu_relax.h"
#include "sync/thread_identity.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <string>
#include <thread>

namespace forkscope {

namespace {

/// Copies an item into or out of a slot. Items of 16 to 64 bytes (the common small message)
/// are two overlapping fixed-size copies, which the compiler turns into a few vector moves: a
/// call to memcpy for them costs as much as the rest of a put. An empty item's span may have a
/// null data(), which memcpy must not get even for 0 bytes.
inline void copyItem(std::uint8_t* to, const std::uint8_t* from, std::size_t size) noexcept {
    if (size >= 32 && size <= 64) {
        std::memcpy(to, from, 32);
        std::memcpy(to + size - 32, from + size - 32, 32);
    } else if (size >= 16 && size < 32) {
        std::memcpy(to, from, 16);
        std::memcpy(to + size - 16, from + size - 16, 16);
    } else if (size != 0) {
        std::memcpy(to, from, size);
    }
}
constexpr std::uint32_t kMagic = 0x46535155; // "FSQU"
constexpr std::size_t kCacheLine = 64;
} // namespace

// The padding is the point: each side's index and each wake-up word sits on a cache line of
// its own, so that writing one never takes another side's line away.
struct ShmQueue::Header { // NOLINT(clang-analyzer-optin.performance.Padding)
    std::uint32_t magic = kMagic;
    std::uint32_t capacity = 0; ///< a power of two
    std::uint32_t slotSize = 0; ///< payload bytes per slot
    std::uint32_t stride = 0;   ///< bytes from one slot to the next
    std::uint64_t traceId = 0;  ///< written once by the creator, before any other process sees it
    ShmQueue::Mode mode = ShmQueue::Mode::ManyToMany;
    std::uint32_t slotsAt = 0; ///< offset of the first slot from the start of the region
    alignas(kCacheLine) std::atomic<std::uint64_t> enqueuePosition{0};
    std::atomic<std::int32_t> producerTid{0}; ///< OneToOne: the producing thread, 0 = none yet
    alignas(kCacheLine) std::atomic<std::uint64_t> dequeuePosition{0};
    std::atomic<std::int32_t> consumerTid{0}; ///< OneToOne: the consuming thread, 0 = none yet
    alignas(kCacheLine) std::atomic<std::uint32_t> itemSignal{0};
    std::atomic<std::uint32_t> consumersWaiting{0};
    alignas(kCacheLine) std::atomic<std::uint32_t> roomSignal{0};
    std::atomic<std::uint32_t> producersWaiting{0};
};

/// The head of a slot; its payload starts on the next cache line (see the constructor).
struct ShmQueue::Slot {
    std::atomic<std::uint64_t> sequence;
    std::uint32_t size;
    std::uint32_t padding;
    std::uint8_t* payload() { return reinterpret_cast<std::uint8_t*>(this) + kCacheLine; }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the ring needs lock-free 64-bit atomics");

ShmQueue::ShmQueue(std::size_t capacity, std::size_t slotSize, std::string_view name, Mode mode) {
    if (mode != Mode::ManyToMany && mode != Mode::OneToOne) {
        throw ProcessError("ShmQueue mode must be ManyToMany or OneToOne");
    }
    if (capacity == 0 || capacity > (1u << 24) || slotSize == 0 || slotSize > (1u << 20)) {
        throw ProcessError("ShmQueue needs 1..16M slots of 1 byte..1 MiB (got " + std::to_string(capacity) +
                           " slots of " + std::to_string(slotSize) + " bytes)");
    }
    const std::size_t slots = std::bit_ceil(capacity);
    const std::size_t headerSize = (sizeof(Header) + kCacheLine - 1) / kCacheLine * kCacheLine;
    // Each slot is its sequence number and its size on a line of their own, then the payload
    // from the next line on. Sizes packed in an array of their own would put 16 items' sizes on
    // one line, written by the producer while the consumer reads it: that line would cross
    // between the cores on every item. And the payload must not share the sequence's line: a
    // side waiting for a slot re-reads its sequence, and if the other side's payload bytes sat
    // on that line, every look would take the line away from the writer in the middle of its
    // copy (with 64-byte items, in one vCPU placement: 0.24-0.28 of a bare ring sharing the
    // line, 0.61-0.71 with the lines apart). For slot sizes that are a multiple of 64 the
    // memory is the same.
    const std::size_t stride = kCacheLine + (slotSize + kCacheLine - 1) / kCacheLine * kCacheLine;
    region_ = SharedRegion::create(headerSize + slots * stride, "forkscope-shm-queue");
    header_ = new (region_.data()) Header;
    header_->capacity = static_cast<std::uint32_t>(slots);
    header_->slotSize = static_cast<std::uint32_t>(slotSize);
    header_->stride = static_cast<std::uint32_t>(stride);
    header_->mode = mode;
    header_->slotsAt = static_cast<std::uint32_t>(headerSize);
    header_->traceId = trace::objectId(ObjectKind::ShmQueue, name, slots);
    cacheLayout();
    for (std::uint64_t i = 0; i < slots; ++i) {
        new (&slot(i)) Slot{{i}, 0, 0};
    }
}

void ShmQueue::cacheLayout() {
    layout_.slots = static_cast<std::uint8_t*>(region_.data()) + header_->slotsAt;
    layout_.mask = header_->capacity - 1;
    layout_.stride = header_->stride;
    layout_.slotSize = header_->slotSize;
    layout_.traceId = header_->traceId;
    layout_.mode = header_->mode;
}

std::uint64_t ShmQueue::traceId() const {
    return layout_.traceId;
}

void ShmQueue::bind() {
    header_ = region_.as<Header>("ShmQueue");
    if (header_->magic != kMagic || (header_->mode != Mode::ManyToMany && header_->mode != Mode::OneToOne)) {
        throw SerializationError("the shared region received as a ShmQueue is not one");
    }
    if (!std::has_single_bit(header_->capacity) || header_->stride == 0 ||
        region_.size() < header_->slotsAt + std::size_t{header_->capacity} * header_->stride) {
        throw SerializationError("the ShmQueue received has a header that does not match its region");
    }
    cacheLayout();
    // A handle that arrives in another process starts without a role.
    producerTid_ = kNoRole;
    consumerTid_ = kNoRole;
}

ShmQueue::Slot& ShmQueue::slot(std::uint64_t position) const {
    static_assert(sizeof(Slot) == 16,
                  "a slot's head is its sequence and its size; the payload starts on the next line");
    return *reinterpret_cast<Slot*>(layout_.slots + (position & layout_.mask) * layout_.stride);
}

namespace {
/// Wakes a side that announced it sleeps, after this side published a slot's sequence. The
/// fence pairs with the sleeper's heavy half (its announcement in `waiting`, then its re-check
/// of the slot): either it sees our publication or we see it waiting. The light half is a
/// compiler barrier, so a put or a get costs no locked instruction.
[[gnu::cold, gnu::noinline]] void wake(std::atomic<std::uint32_t>& signal) {
    signal.fetch_add(1, std::memory_order_release);
    futexWake(signal, 1);
}

// Out of line and behind an [[unlikely]] test: inlined, the event ring's code made every
// untraced put and get longer, and a get took a fifth more time (docs/performance.md).
[[gnu::cold, gnu::noinline]] void tracePut(std::uint64_t traceId, std::size_t size) noexcept {
    trace::emit(EventType::QueuePut, traceId, size);
    trace::emit(EventType::QueueFeederWrite, traceId, size);
}

[[gnu::cold, gnu::noinline]] void traceGet(std::uint64_t traceId, std::size_t size) noexcept {
    trace::emit(EventType::QueueGet, traceId, size);
}

[[gnu::always_inline]] inline void wakeIfWaiting(const std::atomic<std::uint32_t>& waiting,
                                                 std::atomic<std::uint32_t>& signal) {
    AsymmetricFence::light();
    if (waiting.load(std::memory_order_relaxed) > 0) [[unlikely]] {
        wake(signal);
    }
}
/// The end of a fast put or get (see tryPut): true at once when the light half is free and
/// nobody waits, else the full check out of line, as a tail call — a fast put or get makes no
/// call of its own.
[[gnu::noinline]] bool wakeIfWaitingAfterPublishing(const std::atomic<std::uint32_t>& waiting,
                                                    std::atomic<std::uint32_t>& signal) {
    wakeIfWaiting(waiting, signal);
    return true;
}

[[gnu::always_inline]] inline bool publishedLeaf(const std::atomic<std::uint32_t>& waiting,
                                                 std::atomic<std::uint32_t>& signal) {
    if (AsymmetricFence::lightIfFree() && waiting.load(std::memory_order_relaxed) == 0) [[likely]] {
        return true;
    }
    return wakeIfWaitingAfterPublishing(waiting, signal);
}

/// The item sizes a fast put or get copies inline (two overlapping 16- or 32-byte moves, no call).
constexpr bool copiedInline(std::size_t size) {
    return size >= 16 && size <= 64;
}
} // namespace

[[gnu::cold]] void ShmQueue::claimRole(bool producer) {
    std::atomic<std::int32_t>& owner = producer ? header_->producerTid : header_->consumerTid;
    const std::int32_t me = ThreadIdentity::tid();
    std::int32_t expected = 0;
    if (!owner.compare_exchange_strong(expected, me, std::memory_order_acq_rel) && expected != me) {
        throw ProcessError(std::string("ShmQueue(OneToOne) already has its ") +
                           (producer ? "producer" : "consumer") + " (thread " + std::to_string(expected) +
                           "); a second one would corrupt it: use Mode::ManyToMany for several " +
                           (producer ? "producers" : "consumers"));
    }
    (producer ? producerTid_ : consumerTid_) = me;
}

[[gnu::cold, gnu::noinline]] void ShmQueue::refuseOversizedItem(std::size_t size) const {
    throw ProcessError("ShmQueue item of " + std::to_string(size) + " bytes exceeds the slot size of " +
                       std::to_string(layout_.slotSize) + " bytes");
}

[[gnu::always_inline]] inline ShmQueue::Slot*
ShmQueue::claimOwnSlot(std::atomic<std::uint64_t>& index, std::uint64_t ready, std::uint64_t& position) {
    // Only this side reads or writes its index: the other side learns of the item (or the free
    // slot) from the slot's sequence, on the line it reads anyway, so no index line crosses
    // between the cores.
    //
    // The index moves on *before* the slot is looked at, and moves back if the slot is not
    // ready. Stored after the look, the next call's index would come from a store that waits on
    // that look (a load from the other core's cache) — and a CPU that cannot start the next
    // item's loads before the current one's arrive moves one line at a time: a third of the
    // speed of a bare ring on a machine where the lines take ~40 ns to cross
    // (docs/performance.md, eighth session). qsize() may see the index one ahead meanwhile; it
    // clamps.
    position = index.load(std::memory_order_relaxed);
    index.store(position + 1, std::memory_order_relaxed);
    Slot& claimed = slot(position);
    if (claimed.sequence.load(std::memory_order_acquire) != position + ready) {
        index.store(position, std::memory_order_relaxed);
        return nullptr; // full (put) or empty (get)
    }
    return &claimed;
}

[[gnu::always_inline]] inline ShmQueue::Slot* ShmQueue::claimSlot(bool producer, std::uint64_t& position) {
    std::atomic<std::uint64_t>& index = producer ? header_->enqueuePosition : header_->dequeuePosition;
    // A slot is ready for the put of `position` when its sequence is `position`, and for the
    // get of `position` when it is `position + 1` (the put has published it).
    const std::uint64_t ready = producer ? 0 : 1;
    if (layout_.mode == Mode::OneToOne) {
        // The role is checked on every call against the thread this handle claimed it for (a
        // thread-local load and a compare): a handle copied into another thread of the same
        // process would otherwise pass. That thread goes to claimRole(), which refuses it.
        if ((producer ? producerTid_ : consumerTid_) != ThreadIdentity::tid()) [[unlikely]] {
            claimRole(producer);
        }
        return claimOwnSlot(index, ready, position);
    }
    position = index.load(std::memory_order_relaxed);
    for (;;) {
        Slot& candidate = slot(position);
        const std::uint64_t sequence = candidate.sequence.load(std::memory_order_acquire);
        const auto difference = static_cast<std::int64_t>(sequence - (position + ready));
        if (difference == 0) {
            if (index.compare_exchange_weak(position, position + 1, std::memory_order_relaxed)) {
                return &candidate;
            }
        } else if (difference < 0) {
            return nullptr; // full (put) or empty (get)
        } else {
            position = index.load(std::memory_order_relaxed);
        }
    }
}

// The one-to-one hot path, a leaf function: every other case (another mode, a thread without
// its role yet, tracing, an item size not copied inline, a wake-up) leaves through a tail call.
// A function that may call saves and restores registers on every put and get; on the
// eighth session's machine that made a put or get long enough that the CPU could no longer
// start the next item's loads from the other core before the current ones arrived
// (docs/performance.md).
bool ShmQueue::tryPut(std::span<const std::uint8_t> item) {
    if (producerTid_ != ThreadIdentity::knownTid() || !copiedInline(item.size()) ||
        item.size() > layout_.slotSize || trace::enabled()) [[unlikely]] {
        return tryPutGeneral(item);
    }
    std::uint64_t position = 0;
    Slot* target = claimOwnSlot(header_->enqueuePosition, 0, position);
    if (target == nullptr) {
        return false;
    }
    copyItem(target->payload(), item.data(), item.size());
    target->size = static_cast<std::uint32_t>(item.size());
    target->sequence.store(position + 1, std::memory_order_release);
    return publishedLeaf(header_->consumersWaiting, header_->itemSignal);
}

bool ShmQueue::tryGet(std::vector<std::uint8_t>& item) {
    if (consumerTid_ != ThreadIdentity::knownTid() || trace::enabled()) [[unlikely]] {
        return tryGetGeneral(item);
    }
    std::uint64_t position = 0;
    Slot* source = claimOwnSlot(header_->dequeuePosition, 1, position);
    if (source == nullptr) {
        return false;
    }
    if (source->size != item.size() || !copiedInline(item.size())) [[unlikely]] {
        // The buffer must change size (an allocation, maybe): give the slot back, untouched,
        // and take it the general way. Only this thread moves this index.
        header_->dequeuePosition.store(position, std::memory_order_relaxed);
        return tryGetGeneral(item);
    }
    copyItem(item.data(), source->payload(), item.size());
    source->sequence.store(position + layout_.mask + 1, std::memory_order_release);
    return publishedLeaf(header_->producersWaiting, header_->roomSignal);
}

bool ShmQueue::tryPutGeneral(std::span<const std::uint8_t> item) {
    if (item.size() > layout_.slotSize) [[unlikely]] {
        refuseOversizedItem(item.size());
    }
    std::uint64_t position = 0;
    Slot* target = claimSlot(true, position);
    if (target == nullptr) {
        return false;
    }
    copyItem(target->payload(), item.data(), item.size());
    // The size goes on the sequence's line just before the sequence itself, so the line is taken
    // from a consumer polling it once per item, not twice (written before the copy, a look by the
    // consumer in between took it back and the sequence's store had to fetch it again).
    target->size = static_cast<std::uint32_t>(item.size());
    // Before the item is published: no consumer can take it (and emit QueueGet) before the
    // trace has its QueuePut. No feeder: the putter reports the bytes entering the ring too.
    if (trace::enabled()) [[unlikely]] {
        tracePut(layout_.traceId, item.size());
    }
    target->sequence.store(position + 1, std::memory_order_release);
    wakeIfWaiting(header_->consumersWaiting, header_->itemSignal);
    return true;
}

bool ShmQueue::tryGetGeneral(std::vector<std::uint8_t>& item) {
    std::uint64_t position = 0;
    Slot* source = claimSlot(false, position);
    if (source == nullptr) {
        return false;
    }
    // resize() of a reused buffer to the same size does nothing; assign() would go through
    // memmove for every item.
    item.resize(source->size);
    copyItem(item.data(), source->payload(), item.size());
    if (trace::enabled()) [[unlikely]] {
        traceGet(layout_.traceId, item.size());
    }
    source->sequence.store(position + layout_.mask + 1, std::memory_order_release);
    wakeIfWaiting(header_->producersWaiting, header_->roomSignal);
    return true;
}

namespace {
/// How long to retry before sleeping: the other side is usually a few hundred nanoseconds
/// away on another core, and a futex sleep plus wake-up costs microseconds. First a spin on the
/// CPU with growing pauses between attempts (each attempt reads a line the other side writes:
/// retrying at full speed would take that line away from it on every item, and waiting a little
/// longer lets it publish several items per look); then a few rounds of sched_yield, which lets
/// the other side run when both share a CPU (a loaded machine) instead of burning the time
/// slice it needs.
constexpr int kSpinPauses = 2048; ///< pause instructions in all, before yielding
constexpr int kLongestPauseRun = 64;
constexpr int kYields = 32;

/// Retries `attempt` while spinning, then sleeps on `signal` (announcing itself in `waiting`)
/// until `attempt` succeeds or the deadline passes. Returns false on timeout.
template <class Attempt>
bool spinThenWait(Attempt attempt, std::atomic<std::uint32_t>& signal, std::atomic<std::uint32_t>& waiting,
                  const Deadline& deadline, bool block) {
    if (!block) {
        // One more look, and no announcing: a waiter's fence is a membarrier() that interrupts
        // every CPU, and its count would make the other side pay a futex wake for nobody.
        return attempt();
    }
    for (int run = 1, spent = 0; spent < kSpinPauses;
         spent += run, run = std::min(run * 2, kLongestPauseRun)) {
        if (attempt()) {
            return true;
        }
        for (int i = 0; i < run; ++i) {
            cpuRelax();
        }
    }
    for (int i = 0; i < kYields && !deadline.expired(); ++i) {
        if (attempt()) {
            return true;
        }
        std::this_thread::yield();
    }
    for (;;) {
        waiting.fetch_add(1, std::memory_order_seq_cst);
        // Pairs with the other side's light half between publishing and reading `waiting`.
        AsymmetricFence::heavy();
        const std::uint32_t seen = signal.load(std::memory_order_acquire);
        const bool done = attempt();
        const bool timedOut = !done && (deadline.expired() || !futexWait(signal, seen, deadline));
        waiting.fetch_sub(1, std::memory_order_relaxed);
        if (done) {
            return true;
        }
        if (timedOut) {
            return attempt();
        }
    }
}
} // namespace

// A full ring means the consumer has a ring's worth of items to work through; the producer is
// the faster side, and how soon it puts the next item costs nobody any latency. Polling the very
// next slot, it would take that slot's line from the consumer's core each time it looks, just
// before the consumer writes it to free the slot — on every item, since each freed slot is
// refilled at once and the ring stays full. Waiting instead for the slot an eighth of the ring
// ahead, it leaves the lines the consumer is working on alone, then fills the freed run in one
// stream. With 64-byte items and 1024 slots, across processes: 77-82 M/s against 61-70 for the
// producer that looks at the next slot (docs/performance.md, ninth session). Bounded like the
// spin that follows: a consumer that stops early leaves the producer to the ordinary wait. Not
// for the consumer: one waiting on an empty ring for a run of items would delay every item of
// a sparse stream.
void ShmQueue::awaitRoomAhead() const {
    const std::uint64_t ahead = (layout_.mask + 1) / 8;
    if (layout_.mode != Mode::OneToOne || ahead < 2) {
        return;
    }
    const std::uint64_t position = header_->enqueuePosition.load(std::memory_order_relaxed) + ahead;
    const Slot& far = slot(position); // free for the put of `position` when its sequence is `position`
    for (int spent = 0; spent < kSpinPauses && far.sequence.load(std::memory_order_acquire) != position;
         ++spent) {
        cpuRelax();
    }
}

void ShmQueue::putWaiting(std::span<const std::uint8_t> item, bool block, Timeout timeout) {
    const Deadline deadline = Deadline::after(block ? timeout : Timeout(0.0));
    WaitTrace wait;
    if (block) {
        wait.begin(layout_.traceId, EventType::QueuePut);
        awaitRoomAhead();
    }
    if (!spinThenWait([&] { return tryPut(item); }, header_->roomSignal, header_->producersWaiting, deadline,
                      block)) {
        throw QueueFullError("ShmQueue is full (" + std::to_string(header_->capacity) + " slots)");
    }
    wait.end();
}

std::vector<std::uint8_t> ShmQueue::getBytes(bool block, Timeout timeout) {
    std::vector<std::uint8_t> item;
    getBytesInto(item, block, timeout);
    return item;
}

void ShmQueue::getWaiting(std::vector<std::uint8_t>& item, bool block, Timeout timeout) {
    const Deadline deadline = Deadline::after(block ? timeout : Timeout(0.0));
    WaitTrace wait;
    if (block) {
        wait.begin(layout_.traceId, EventType::QueueGet);
    }
    if (!spinThenWait([&] { return tryGet(item); }, header_->itemSignal, header_->consumersWaiting, deadline,
                      block)) {
        throw QueueEmptyError("ShmQueue is empty");
    }
    wait.end();
}

std::size_t ShmQueue::qsize() const {
    const std::uint64_t in = header_->enqueuePosition.load(std::memory_order_acquire);
    const std::uint64_t out = header_->dequeuePosition.load(std::memory_order_acquire);
    // Either index may be one ahead for the moment of a failed OneToOne attempt (claimOwnSlot).
    return in > out ? static_cast<std::size_t>(std::min<std::uint64_t>(in - out, header_->capacity)) : 0;
}

std::size_t ShmQueue::capacity() const {
    return header_->capacity;
}

ShmQueue::Mode ShmQueue::mode() const {
    return header_->mode;
}

std::size_t ShmQueue::slotSize() const {
    return header_->slotSize;
}

} // namespace forkscope
