#include "shm_queue.h"

#include "events/wait_trace.h"
#include "process/errors.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>

namespace forkscope {

namespace {

/// The store-then-load barrier of the one-to-one wake-up protocol (a publisher's new index
/// against a sleeper's announcement). ThreadSanitizer does not model fences and GCC refuses them
/// under -fsanitize=thread with -Werror; the fence only orders atomics here (the payload is
/// ordered by the indexes' release/acquire, which TSan does see), so the warning is silenced.
inline void fullFence() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wtsan"
    std::atomic_thread_fence(std::memory_order_seq_cst);
#pragma GCC diagnostic pop
}

/// An empty item's span may have a null data(), which memcpy must not get even for 0 bytes.
void copyItem(void* to, std::span<const std::uint8_t> item) {
    if (!item.empty()) {
        std::memcpy(to, item.data(), item.size());
    }
}
constexpr std::uint32_t kMagic = 0x46535155; // "FSQU"
constexpr std::size_t kCacheLine = 64;
} // namespace

struct ShmQueue::Header {
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

struct ShmQueue::Slot {
    std::atomic<std::uint64_t> sequence;
    std::uint32_t size;
    std::uint32_t padding;
    std::uint8_t* payload() { return reinterpret_cast<std::uint8_t*>(this + 1); }
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
    // ManyToMany: each slot carries its sequence number and size before the payload. OneToOne:
    // the sizes sit in an array of their own, so a slot is just its payload and a 64-byte item
    // takes one cache line, not two.
    const bool oneToOne = mode == Mode::OneToOne;
    const std::size_t stride =
        ((oneToOne ? 0 : sizeof(Slot)) + slotSize + kCacheLine - 1) / kCacheLine * kCacheLine;
    const std::size_t sizesBytes =
        oneToOne ? (slots * sizeof(std::uint32_t) + kCacheLine - 1) / kCacheLine * kCacheLine : 0;
    region_ = SharedRegion::create(headerSize + sizesBytes + slots * stride, "forkscope-shm-queue");
    header_ = new (region_.data()) Header;
    header_->capacity = static_cast<std::uint32_t>(slots);
    header_->slotSize = static_cast<std::uint32_t>(slotSize);
    header_->stride = static_cast<std::uint32_t>(stride);
    header_->mode = mode;
    header_->slotsAt = static_cast<std::uint32_t>(headerSize + sizesBytes);
    if (!oneToOne) {
        for (std::uint64_t i = 0; i < slots; ++i) {
            new (&slot(i)) Slot{{i}, 0, 0};
        }
    }
    header_->traceId = trace::objectId(ObjectKind::ShmQueue, name, slots);
}

std::uint64_t ShmQueue::traceId() const {
    return header_->traceId;
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
    // A handle that arrives in another process starts without a role and with no knowledge
    // of the other side's index (zero is a valid lower bound).
    knownTail_ = 0;
    knownHead_ = 0;
    producerClaimed_ = false;
    consumerClaimed_ = false;
}

ShmQueue::Slot& ShmQueue::slot(std::uint64_t position) const {
    return *reinterpret_cast<Slot*>(slotBytes(position));
}

std::uint8_t* ShmQueue::slotBytes(std::uint64_t position) const {
    auto* base = static_cast<std::uint8_t*>(region_.data()) + header_->slotsAt;
    return base + (position & (header_->capacity - 1)) * header_->stride;
}

std::uint32_t& ShmQueue::oneToOneSize(std::uint64_t position) const {
    const std::size_t headerSize = (sizeof(Header) + kCacheLine - 1) / kCacheLine * kCacheLine;
    auto* sizes = reinterpret_cast<std::uint32_t*>(static_cast<std::uint8_t*>(region_.data()) + headerSize);
    return sizes[position & (header_->capacity - 1)];
}

bool ShmQueue::tryPut(std::span<const std::uint8_t> item) {
    if (item.size() > header_->slotSize) {
        throw ProcessError("ShmQueue item of " + std::to_string(item.size()) +
                           " bytes exceeds the slot size of " + std::to_string(header_->slotSize) + " bytes");
    }
    if (header_->mode == Mode::OneToOne) {
        return tryPutOneToOne(item);
    }
    std::uint64_t position = header_->enqueuePosition.load(std::memory_order_relaxed);
    Slot* target = nullptr;
    for (;;) {
        target = &slot(position);
        const std::uint64_t sequence = target->sequence.load(std::memory_order_acquire);
        const auto difference = static_cast<std::int64_t>(sequence - position);
        if (difference == 0) {
            if (header_->enqueuePosition.compare_exchange_weak(position, position + 1,
                                                               std::memory_order_relaxed)) {
                break;
            }
        } else if (difference < 0) {
            return false; // full
        } else {
            position = header_->enqueuePosition.load(std::memory_order_relaxed);
        }
    }
    target->size = static_cast<std::uint32_t>(item.size());
    copyItem(target->payload(), item);
    // Before the item is published: no consumer can take it (and emit QueueGet) before the
    // trace has its QueuePut. No feeder: the putter reports the bytes entering the ring too.
    trace::emit(EventType::QueuePut, header_->traceId, item.size());
    trace::emit(EventType::QueueFeederWrite, header_->traceId, item.size());
    target->sequence.store(position + 1, std::memory_order_release);
    // A read-modify-write, not a load: it is ordered with the waiter's increment of the same
    // counter, so either the waiter sees our item or we see the waiter (no lost wake-up).
    if (header_->consumersWaiting.fetch_add(0, std::memory_order_seq_cst) > 0) {
        header_->itemSignal.fetch_add(1, std::memory_order_release);
        futexWake(header_->itemSignal, 1);
    }
    return true;
}

bool ShmQueue::tryGet(std::vector<std::uint8_t>& item) {
    if (header_->mode == Mode::OneToOne) {
        return tryGetOneToOne(item);
    }
    std::uint64_t position = header_->dequeuePosition.load(std::memory_order_relaxed);
    Slot* source = nullptr;
    for (;;) {
        source = &slot(position);
        const std::uint64_t sequence = source->sequence.load(std::memory_order_acquire);
        const auto difference = static_cast<std::int64_t>(sequence - (position + 1));
        if (difference == 0) {
            if (header_->dequeuePosition.compare_exchange_weak(position, position + 1,
                                                               std::memory_order_relaxed)) {
                break;
            }
        } else if (difference < 0) {
            return false; // empty
        } else {
            position = header_->dequeuePosition.load(std::memory_order_relaxed);
        }
    }
    item.assign(source->payload(), source->payload() + source->size);
    trace::emit(EventType::QueueGet, header_->traceId, item.size());
    source->sequence.store(position + header_->capacity, std::memory_order_release);
    if (header_->producersWaiting.fetch_add(0, std::memory_order_seq_cst) > 0) {
        header_->roomSignal.fetch_add(1, std::memory_order_release);
        futexWake(header_->roomSignal, 1);
    }
    return true;
}

namespace {
/// The calling thread's id, asked once per thread (a fork child's only thread asks again).
thread_local std::int32_t t_tid = 0;
std::once_flag g_tidAtforkOnce;

std::int32_t currentTid() noexcept {
    if (t_tid == 0) {
        std::call_once(g_tidAtforkOnce, [] { ::pthread_atfork(nullptr, nullptr, [] { t_tid = 0; }); });
        t_tid = static_cast<std::int32_t>(::gettid());
    }
    return t_tid;
}
} // namespace

void ShmQueue::claimRole(bool producer) {
    std::atomic<std::int32_t>& owner = producer ? header_->producerTid : header_->consumerTid;
    const std::int32_t me = currentTid();
    std::int32_t expected = 0;
    if (!owner.compare_exchange_strong(expected, me, std::memory_order_acq_rel) && expected != me) {
        throw ProcessError(std::string("ShmQueue(OneToOne) already has its ") +
                           (producer ? "producer" : "consumer") + " (thread " + std::to_string(expected) +
                           "); a second one would corrupt it: use Mode::ManyToMany for several " +
                           (producer ? "producers" : "consumers"));
    }
    (producer ? producerClaimed_ : consumerClaimed_) = true;
}

namespace {
/// One-to-one mode: publishes this side's new index, then wakes the other side if it announced
/// that it sleeps. The fence orders the store with the sleeper's announcement (its seq_cst
/// increment, then its re-check of our index): either it sees the new index or we see it waiting.
void publishThenWake(std::atomic<std::uint64_t>& index, std::uint64_t value,
                     const std::atomic<std::uint32_t>& waiting, std::atomic<std::uint32_t>& signal) {
    index.store(value, std::memory_order_release);
    fullFence();
    if (waiting.load(std::memory_order_relaxed) > 0) {
        signal.fetch_add(1, std::memory_order_release);
        futexWake(signal, 1);
    }
}
} // namespace

bool ShmQueue::tryPutOneToOne(std::span<const std::uint8_t> item) {
    // The role is checked on every put (one load of a line this side owns): a handle copied
    // into another thread of the same process would otherwise pass as the producer.
    if (!producerClaimed_ || header_->producerTid.load(std::memory_order_relaxed) != currentTid()) {
        claimRole(true);
    }
    const std::uint64_t head = header_->enqueuePosition.load(std::memory_order_relaxed);
    if (head - knownTail_ >= header_->capacity) {
        knownTail_ = header_->dequeuePosition.load(std::memory_order_acquire);
        if (head - knownTail_ >= header_->capacity) {
            return false; // full
        }
    }
    oneToOneSize(head) = static_cast<std::uint32_t>(item.size());
    copyItem(slotBytes(head), item);
    trace::emit(EventType::QueuePut, header_->traceId, item.size());
    trace::emit(EventType::QueueFeederWrite, header_->traceId, item.size());
    publishThenWake(header_->enqueuePosition, head + 1, header_->consumersWaiting, header_->itemSignal);
    return true;
}

bool ShmQueue::tryGetOneToOne(std::vector<std::uint8_t>& item) {
    if (!consumerClaimed_ || header_->consumerTid.load(std::memory_order_relaxed) != currentTid()) {
        claimRole(false);
    }
    const std::uint64_t tail = header_->dequeuePosition.load(std::memory_order_relaxed);
    if (tail == knownHead_) {
        knownHead_ = header_->enqueuePosition.load(std::memory_order_acquire);
        if (tail == knownHead_) {
            return false; // empty
        }
    }
    const std::uint8_t* payload = slotBytes(tail);
    item.assign(payload, payload + oneToOneSize(tail));
    trace::emit(EventType::QueueGet, header_->traceId, item.size());
    publishThenWake(header_->dequeuePosition, tail + 1, header_->producersWaiting, header_->roomSignal);
    return true;
}

namespace {
/// How often to retry before sleeping: the other side is usually a few hundred nanoseconds
/// away on another core, and a futex sleep plus wake-up costs microseconds. First a short spin
/// on the CPU; then a few rounds of sched_yield, which lets the other side run when both share
/// a CPU (a loaded machine) instead of burning the time slice it needs.
constexpr int kSpins = 512;
constexpr int kYields = 32;

inline void cpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Retries `attempt` while spinning, then sleeps on `signal` (announcing itself in `waiting`)
/// until `attempt` succeeds or the deadline passes. Returns false on timeout.
template <class Attempt>
bool spinThenWait(Attempt attempt, std::atomic<std::uint32_t>& signal, std::atomic<std::uint32_t>& waiting,
                  const Deadline& deadline, bool block) {
    for (int i = 0; i < kSpins && block; ++i) {
        if (attempt()) {
            return true;
        }
        cpuRelax();
    }
    for (int i = 0; i < kYields && block && !deadline.expired(); ++i) {
        if (attempt()) {
            return true;
        }
        std::this_thread::yield();
    }
    for (;;) {
        waiting.fetch_add(1, std::memory_order_seq_cst);
        // Pairs with the other side's fence between publishing and reading `waiting`.
        fullFence();
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

void ShmQueue::putBytes(std::span<const std::uint8_t> item, bool block, Timeout timeout) {
    if (tryPut(item)) {
        return;
    }
    const Deadline deadline = Deadline::after(block ? timeout : Timeout(0.0));
    WaitTrace wait;
    if (block) {
        wait.begin(header_->traceId, EventType::QueuePut);
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

void ShmQueue::getBytesInto(std::vector<std::uint8_t>& item, bool block, Timeout timeout) {
    if (tryGet(item)) {
        return;
    }
    const Deadline deadline = Deadline::after(block ? timeout : Timeout(0.0));
    WaitTrace wait;
    if (block) {
        wait.begin(header_->traceId, EventType::QueueGet);
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
    return in > out ? static_cast<std::size_t>(in - out) : 0;
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
