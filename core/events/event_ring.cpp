#include "event_ring.h"

#include "process/errors.h"

#include <bit>
#include <cerrno>
#include <fcntl.h>
#include <new>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace forkscope {

std::size_t EventRing::bytesFor(std::uint32_t laneCount, std::uint32_t laneCapacity) noexcept {
    return sizeof(Header) + sizeof(Lane) * laneCount +
           sizeof(Event) * static_cast<std::size_t>(laneCount) * laneCapacity;
}

EventRing EventRing::create(std::uint32_t laneCount, std::uint32_t laneCapacity) {
    if (laneCount == 0 || laneCount > kMaxLanes || laneCapacity < 2 || laneCapacity > kMaxLaneCapacity) {
        throw ProcessError("event ring shape out of range: " + std::to_string(laneCount) + " lanes of " +
                           std::to_string(laneCapacity) + " events");
    }
    laneCapacity = std::bit_ceil(laneCapacity);
    EventRing ring;
    ring.fd_.reset(::memfd_create("forkscope-events", MFD_CLOEXEC));
    if (!ring.fd_) {
        throw OsError("memfd_create for an event ring", errno);
    }
    const std::size_t size = bytesFor(laneCount, laneCapacity);
    if (::ftruncate(ring.fd_.get(), static_cast<off_t>(size)) != 0) {
        throw OsError("ftruncate of an event ring to " + std::to_string(size) + " bytes", errno);
    }
    ring.map(size);
    // The memfd is zero-filled; constructing the atomics in place makes their lifetime explicit.
    ring.header_ = new (ring.base_) Header{};
    ring.header_->magic = kMagic;
    ring.header_->version = kVersion;
    ring.header_->laneCount = laneCount;
    ring.header_->laneCapacity = laneCapacity;
    ring.lanes_ = reinterpret_cast<Lane*>(static_cast<char*>(ring.base_) + sizeof(Header));
    for (std::uint32_t i = 0; i < laneCount; ++i) {
        new (&ring.lanes_[i]) Lane{};
    }
    ring.slots_ = reinterpret_cast<Event*>(ring.lanes_ + laneCount);
    return ring;
}

EventRing EventRing::attach(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw OsError("fstat of an event ring", errno);
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size < sizeof(Header)) {
        throw ProcessError("event ring memfd is too small (" + std::to_string(size) + " bytes)");
    }
    EventRing ring;
    ring.fd_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!ring.fd_) {
        throw OsError("dup of an event ring fd", errno);
    }
    ring.map(size);
    auto* header = static_cast<Header*>(ring.base_);
    if (header->magic != kMagic || header->version != kVersion) {
        throw ProcessError("not a Forkscope event ring (bad magic or version)");
    }
    if (header->laneCount == 0 || header->laneCount > kMaxLanes ||
        !std::has_single_bit(header->laneCapacity) || header->laneCapacity > kMaxLaneCapacity ||
        bytesFor(header->laneCount, header->laneCapacity) != size) {
        throw ProcessError("event ring header does not match its size of " + std::to_string(size) + " bytes");
    }
    ring.header_ = header;
    ring.lanes_ = reinterpret_cast<Lane*>(static_cast<char*>(ring.base_) + sizeof(Header));
    ring.slots_ = reinterpret_cast<Event*>(ring.lanes_ + header->laneCount);
    return ring;
}

void EventRing::map(std::size_t size) {
    void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (base == MAP_FAILED) {
        throw OsError("mmap of an event ring (" + std::to_string(size) + " bytes)", errno);
    }
    base_ = base;
    size_ = size;
}

void EventRing::unmap() noexcept {
    if (base_ != nullptr) {
        ::munmap(base_, size_);
    }
    base_ = nullptr;
    size_ = 0;
    header_ = nullptr;
    lanes_ = nullptr;
    slots_ = nullptr;
}

EventRing::EventRing(EventRing&& other) noexcept
    : fd_(std::move(other.fd_)), base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)), header_(std::exchange(other.header_, nullptr)),
      lanes_(std::exchange(other.lanes_, nullptr)), slots_(std::exchange(other.slots_, nullptr)) {}

EventRing& EventRing::operator=(EventRing&& other) noexcept {
    if (this != &other) {
        unmap();
        fd_ = std::move(other.fd_);
        base_ = std::exchange(other.base_, nullptr);
        size_ = std::exchange(other.size_, 0);
        header_ = std::exchange(other.header_, nullptr);
        lanes_ = std::exchange(other.lanes_, nullptr);
        slots_ = std::exchange(other.slots_, nullptr);
    }
    return *this;
}

EventRing::~EventRing() {
    unmap();
}

int EventRing::claimLane(std::int32_t tid) noexcept {
    for (std::uint32_t i = 0; i < header_->laneCount; ++i) {
        std::int32_t expected = 0;
        if (lanes_[i].owner.compare_exchange_strong(expected, tid, std::memory_order_acquire,
                                                    std::memory_order_relaxed)) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

void EventRing::releaseLane(int lane, std::int32_t tid) noexcept {
    std::int32_t expected = tid;
    lanes_[lane].owner.compare_exchange_strong(expected, 0, std::memory_order_release,
                                               std::memory_order_relaxed);
}

std::size_t EventRing::drain(std::vector<Event>& out) {
    std::size_t total = 0;
    const std::uint64_t mask = header_->laneCapacity - 1;
    const trace::ClockCalibration clock = header_->clock;
    for (std::uint32_t i = 0; i < header_->laneCount; ++i) {
        Lane& l = lanes_[i];
        const std::uint64_t tail = l.tail.load(std::memory_order_relaxed);
        std::uint64_t head = l.head.load(std::memory_order_acquire);
        if (head - tail > header_->laneCapacity) {
            // Only a damaged producer can get here; the monitor protects itself by reading
            // at most one lap instead of trusting the numbers.
            head = tail + header_->laneCapacity;
        }
        const Event* slots = slots_ + static_cast<std::size_t>(i) * header_->laneCapacity;
        for (std::uint64_t p = tail; p != head; ++p) {
            Event& e = out.emplace_back(slots[p & mask]);
            // A process with a clock map stamps raw TSC readings (TraceClock::stamp): they
            // become nanoseconds here, with the map the process was given in this header.
            if (clock.valid()) {
                e.ts = trace::TraceClock::toNs(static_cast<std::uint64_t>(e.ts), clock);
            }
        }
        l.tail.store(head, std::memory_order_release);
        total += head - tail;
    }
    return total;
}

std::uint64_t EventRing::dropped() const noexcept {
    std::uint64_t total = header_->droppedNoLane.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < header_->laneCount; ++i) {
        total += lanes_[i].dropped.load(std::memory_order_relaxed);
    }
    return total;
}

bool EventRing::empty() const noexcept {
    for (std::uint32_t i = 0; i < header_->laneCount; ++i) {
        if (lanes_[i].head.load(std::memory_order_acquire) !=
            lanes_[i].tail.load(std::memory_order_relaxed)) {
            return false;
        }
    }
    return true;
}

} // namespace forkscope
