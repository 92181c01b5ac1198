#pragma once

// The emit API for primitives. Everything here is safe to call with tracing off (it does
// nothing) and from any thread; nothing here blocks, allocates or makes a system call on the
// hot path. See docs/tracing.md for which event a primitive emits when.

#include "event_type.h"

#include <atomic>
#include <cstdint>
#include <string_view>

#if defined(emit)
#error                                                                                                       \
    "Qt's `emit` keyword macro hides forkscope::trace::emit: define QT_NO_EMIT (or QT_NO_KEYWORDS) for this target"
#endif

namespace forkscope {
class EventRing;
} // namespace forkscope

namespace forkscope::trace {

namespace detail {
/// This process's ring while tracing is on, else nullptr.
extern std::atomic<EventRing*> g_ring;
void emitInto(EventRing* ring, EventType type, std::uint64_t object, std::uint64_t arg,
              std::uint32_t aux) noexcept;
/// Whether the calling thread is decoding start arguments (see withoutRegistration).
bool& registrationSuppressed() noexcept;
} // namespace detail

/// Whether this process records events.
[[nodiscard]] inline bool enabled() noexcept {
    return detail::g_ring.load(std::memory_order_acquire) != nullptr;
}

/// Records one event: timestamp (CLOCK_MONOTONIC), pid and tid are filled in. A full ring
/// drops the event and counts it; the caller never waits. Object 0 is "untraced" (a primitive
/// that is a building block of another one, see kUntraced): its events are not recorded.
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

/// The name that makes a primitive untraced: its id is 0 and emit() ignores its events. For the
/// building blocks of a bigger primitive (a Queue's pipe, locks and semaphore), whose own events
/// would only repeat the Queue's in a lower-level vocabulary.
inline constexpr std::string_view kUntraced{};

/// registerObject(kind, name, capacity), or 0 for kUntraced (an empty name) and inside
/// withoutRegistration(). What a primitive's constructor calls.
inline std::uint64_t objectId(ObjectKind kind, std::string_view name, std::uint64_t capacity = 0) {
    return name.empty() || detail::registrationSuppressed() ? 0 : registerObject(kind, name, capacity);
}

/// Runs `f` with objectId() returning 0 on this thread. For decoding a start argument: cereal
/// default-constructs a primitive and then overwrites it with the handle that arrived, and the
/// placeholder must not appear in the trace as an object of its own.
template <class F> decltype(auto) withoutRegistration(F&& f) {
    bool& flag = detail::registrationSuppressed();
    const bool previous = flag;
    flag = true;
    struct Restore {
        bool& flag;
        bool previous;
        ~Restore() { flag = previous; }
    } restore{flag, previous};
    return f();
}

/// CLOCK_MONOTONIC in nanoseconds: the time base of every event.
[[nodiscard]] std::int64_t monotonicNs() noexcept;

} // namespace forkscope::trace
