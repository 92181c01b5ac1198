#pragma once

#include "events/event.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace forkscope {

/// The events of a trace in the GUI, in time order: fixed-size chunks instead of one vector, so
/// that growing to 10 million events never copies them all (a vector's reallocation briefly needs
/// the old and the new array: 1.5 to 3 times the events' size at the peak). 40 bytes an event
/// plus one pointer per chunk.
class EventStore {
public:
    static constexpr std::size_t kChunkShift = 16;
    static constexpr std::size_t kChunkEvents = std::size_t{1} << kChunkShift; ///< 2.5 MiB a chunk

    void clear() noexcept;
    void append(std::span<const Event> events);

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] const Event& operator[](std::size_t i) const noexcept {
        return chunks_[i >> kChunkShift][i & (kChunkEvents - 1)];
    }
    [[nodiscard]] const Event& front() const noexcept { return (*this)[0]; }
    [[nodiscard]] const Event& back() const noexcept { return (*this)[size_ - 1]; }

    /// Index of the first event with ts > t (size() if none): the events are sorted by time.
    [[nodiscard]] std::size_t upperBound(std::int64_t t) const noexcept;
    /// Index of the first event with ts >= t (size() if none).
    [[nodiscard]] std::size_t lowerBound(std::int64_t t) const noexcept;

    [[nodiscard]] std::size_t memoryBytes() const noexcept;

private:
    std::vector<std::unique_ptr<Event[]>> chunks_;
    std::size_t size_ = 0;
};

} // namespace forkscope
