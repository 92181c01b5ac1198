#pragma once

// The emit API for primitives. Everything here is safe to call with tracing off (it does
// nothing) and from any thread; nothing here blocks, allocates or makes a system call on the
// hot path. See docs/tracing.md for which event a primitive emits when.

#include "event.h"
#include "event_ring.h"

#include <atomic>
#include <cstdint>
#include <string_view>

#if defined(emit)
#error                                                                                                       \
    "Qt's `emit` keyword macro hides forkscope::trace::emit: define QT_NO_EMIT (or QT_NO_KEYWORDS) for this target"
#endif

namespace forkscope::trace {

namespace detail {
/// This process's ring while tracing is on, else nullptr.
extern std::atomic<EventRing*> g_ring;
void emitInto(EventRing* ring, EventType type, std::uint64_t object, std::uint64_t arg,
              std::uint32_t aux) noexcept;
} // namespace detail

/// Whether this process records events.
[[nodiscard]] inline bool enabled() noexcept {
    return detail::g_ring.load(std::memory_order_acquire) != nullptr;
}

/// Records one event: timestamp (CLOCK_MONOTONIC), pid and tid are filled in. A full ring
/// drops the event and counts it; the caller never waits.
inline void emit(EventType type, std::uint64_t object, std::uint64_t arg = 0,
                 std::uint32_t aux = 0) noexcept {
    EventRing* ring = detail::g_ring.load(std::memory_order_acquire);
    if (__builtin_expect(ring != nullptr, 0)) {
        detail::emitInto(ring, type, object, arg, aux);
    }
}

/// Signed-argument convenience (exit codes, values that may be negative).
inline void emitSigned(EventType type, std::uint64_t object, std::int64_t arg) noexcept {
    emit(type, object, static_cast<std::uint64_t>(arg));
}

/// A new id for a primitive, unique in the session: (pid << 32 | n) + kFirstObjectId, so it
/// can never be mistaken for a pid. With tracing on, the name, kind and capacity reach the
/// monitor's objects table (one small message, not on any hot path) and an ObjectCreated event
/// marks the moment. Call it once, where the primitive's shared state is created, and carry
/// the id with the handle (copy it under fork, serialise it under spawn/forkserver).
std::uint64_t registerObject(ObjectKind kind, std::string_view name, std::uint64_t capacity = 0);

/// CLOCK_MONOTONIC in nanoseconds: the time base of every event.
[[nodiscard]] std::int64_t monotonicNs() noexcept;

} // namespace forkscope::trace
