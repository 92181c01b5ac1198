#pragma once

#include <atomic>
#include <cstdint>
#include <time.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace forkscope::trace {

__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

/// A linear map from the CPU's time-stamp counter to CLOCK_MONOTONIC nanoseconds:
/// ns = baseNs + (ticks - baseTicks) * nsPerTickQ32 / 2^32. All zero means "no map".
struct ClockCalibration {
    std::int64_t baseNs = 0;
    std::uint64_t baseTicks = 0;
    std::uint64_t nsPerTickQ32 = 0;

    [[nodiscard]] bool valid() const noexcept { return nsPerTickQ32 != 0; }
};

/// The time base of every event. An event's timestamp is the largest part of an emit's cost:
/// clock_gettime through the vDSO costs ~110 ns on a KVM guest (kvm-clock), a bare RDTSC about
/// half of that. So with an invariant TSC the session host measures the TSC's rate against
/// CLOCK_MONOTONIC once, and every traced process converts RDTSC with that same map (children
/// receive it in their ring's header): timestamps of all processes stay on one time line, which
/// is what ordering events across processes needs. The map is CLOCK_MONOTONIC at calibration
/// and drifts from it by the calibration's error (~1e-5, microseconds per second), the same for
/// every process of the session. Without an invariant TSC (or off x86-64) it is clock_gettime.
class TraceClock {
public:
    /// Nanoseconds on the session's time line.
    [[nodiscard]] static std::int64_t now() noexcept {
#if defined(__x86_64__)
        const std::uint64_t mult = s_nsPerTickQ32.load(std::memory_order_relaxed);
        if (__builtin_expect(mult != 0, 1)) {
            return toNs(__rdtsc(), ClockCalibration{s_baseNs.load(std::memory_order_relaxed),
                                                    s_baseTicks.load(std::memory_order_relaxed), mult});
        }
#endif
        return systemMonotonicNs();
    }

    /// Whether an emit stores the raw TSC as its timestamp (a map is in use): the ring's reader
    /// converts it with the same map, which the ring's header carries (EventRing::drain). The
    /// conversion's 128-bit multiply and the map's loads were a fifth of an emit; the reader
    /// does them off the emitting thread. Without a map an emit stores CLOCK_MONOTONIC ns.
    [[nodiscard]] static bool stampsTicks() noexcept {
#if defined(__x86_64__)
        return s_nsPerTickQ32.load(std::memory_order_relaxed) != 0;
#else
        return false;
#endif
    }
    /// The raw TSC (only meaningful when stampsTicks()).
    [[nodiscard]] static std::uint64_t ticks() noexcept {
#if defined(__x86_64__)
        return __rdtsc();
#else
        return 0;
#endif
    }
    /// That stamp: the raw TSC if stampsTicks(), else CLOCK_MONOTONIC nanoseconds.
    [[nodiscard]] static std::int64_t stamp() noexcept {
        return stampsTicks() ? static_cast<std::int64_t>(ticks()) : systemMonotonicNs();
    }

    /// Nanoseconds on the session's time line for a raw TSC reading, with map `c` (valid).
    [[nodiscard]] static std::int64_t toNs(std::uint64_t ticks, const ClockCalibration& c) noexcept {
        const auto delta = static_cast<std::int64_t>(ticks - c.baseTicks);
        return c.baseNs + static_cast<std::int64_t>((static_cast<Int128>(delta) * c.nsPerTickQ32) >> 32);
    }

    /// CLOCK_MONOTONIC itself.
    [[nodiscard]] static std::int64_t systemMonotonicNs() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }

    /// In the session host: measures the map once (a few milliseconds, the first time only),
    /// unless this process already uses one (it adopted its parent's).
    static void ensureCalibrated() noexcept;
    /// Uses `c` from now on (a child adopting the map its ring carries). Only while the process
    /// has a single thread, or with the map it already uses.
    static void adopt(const ClockCalibration& c) noexcept;
    /// The map in use (invalid when now() is clock_gettime).
    [[nodiscard]] static ClockCalibration current() noexcept;

private:
    static std::atomic<std::int64_t> s_baseNs;
    static std::atomic<std::uint64_t> s_baseTicks;
    static std::atomic<std::uint64_t> s_nsPerTickQ32;
};

} // namespace forkscope::trace
