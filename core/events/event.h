#pragma once

#include "event_type.h"

#include <cstdint>
#include <type_traits>

namespace forkscope {

/// One fixed-size binary record. Written into shared memory by one process and read by
/// another, so it is trivially copyable and has no padding surprises.
struct Event {
    std::int64_t ts = 0;      ///< CLOCK_MONOTONIC ns (in a ring with a clock map: the raw TSC until drain())
    std::uint64_t object = 0; ///< registered object id, or a pid (see EventType)
    std::uint64_t arg = 0;    ///< the type's argument; read as i64 where the type says so
    std::int32_t pid = 0;     ///< emitting process
    std::int32_t tid = 0;     ///< emitting thread
    EventType type = EventType::None;
    std::uint16_t reserved = 0;
    std::uint32_t aux = 0; ///< a second small argument where a type needs one (documented per type)

    [[nodiscard]] std::int64_t signedArg() const noexcept { return static_cast<std::int64_t>(arg); }
    friend bool operator==(const Event&, const Event&) = default;
};
static_assert(sizeof(Event) == 40, "Event is a 40-byte wire record");
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(std::is_standard_layout_v<Event>);

} // namespace forkscope
