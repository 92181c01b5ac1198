#include "event_store.h"

#include <algorithm>

namespace forkscope {

void EventStore::clear() noexcept {
    chunks_.clear();
    chunks_.shrink_to_fit();
    size_ = 0;
}

void EventStore::append(std::span<const Event> events) {
    while (!events.empty()) {
        const std::size_t offset = size_ & (kChunkEvents - 1);
        if (offset == 0 && (size_ >> kChunkShift) == chunks_.size()) {
            // for_overwrite: the chunk is filled below before anything reads it.
            chunks_.push_back(std::make_unique_for_overwrite<Event[]>(kChunkEvents));
        }
        const std::size_t n = std::min(events.size(), kChunkEvents - offset);
        std::copy_n(events.begin(), n, chunks_.back().get() + offset);
        size_ += n;
        events = events.subspan(n);
    }
}

std::size_t EventStore::upperBound(std::int64_t t) const noexcept {
    std::size_t lo = 0;
    std::size_t hi = size_;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if ((*this)[mid].ts <= t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

std::size_t EventStore::lowerBound(std::int64_t t) const noexcept {
    std::size_t lo = 0;
    std::size_t hi = size_;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if ((*this)[mid].ts < t) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

std::size_t EventStore::memoryBytes() const noexcept {
    return chunks_.size() * kChunkEvents * sizeof(Event) + chunks_.capacity() * sizeof(chunks_[0]);
}

} // namespace forkscope
