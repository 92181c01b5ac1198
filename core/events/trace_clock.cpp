#include "trace_clock.h"

#include <mutex>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace forkscope::trace {

std::atomic<std::int64_t> TraceClock::s_baseNs{0};
std::atomic<std::uint64_t> TraceClock::s_baseTicks{0};
std::atomic<std::uint64_t> TraceClock::s_nsPerTickQ32{0};

namespace {

#if defined(__x86_64__)
/// CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every power state, and the
/// kernel keeps it synchronised across CPUs (Intel and AMD both report it here).
bool invariantTsc() noexcept {
    unsigned a = 0;
    unsigned b = 0;
    unsigned c = 0;
    unsigned d = 0;
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) == 0 || a < 0x80000007) {
        return false;
    }
    if (__get_cpuid(0x80000007, &a, &b, &c, &d) == 0) {
        return false;
    }
    return (d & (1U << 8)) != 0;
}

struct Pair {
    std::uint64_t ticks = 0;
    std::int64_t ns = 0;
};

/// One (TSC, CLOCK_MONOTONIC) pair, the best of a few: the tightest bracket of RDTSCs around
/// the clock_gettime has the smallest error.
Pair samplePair() noexcept {
    Pair best;
    std::uint64_t bestWidth = ~std::uint64_t{0};
    for (int i = 0; i < 16; ++i) {
        const std::uint64_t before = __rdtsc();
        const std::int64_t ns = TraceClock::systemMonotonicNs();
        const std::uint64_t after = __rdtsc();
        if (after > before && after - before < bestWidth) {
            bestWidth = after - before;
            best = Pair{before + (after - before) / 2, ns};
        }
    }
    return best;
}

ClockCalibration measure() noexcept {
    if (!invariantTsc()) {
        return {};
    }
    const Pair first = samplePair();
    // 4 ms between the pairs: with brackets of ~100 ns the rate is good to ~1e-5.
    timespec pause{0, 4'000'000};
    while (::nanosleep(&pause, &pause) != 0) {
    }
    const Pair second = samplePair();
    if (second.ticks <= first.ticks || second.ns <= first.ns) {
        return {};
    }
    const auto ns = static_cast<UInt128>(second.ns - first.ns);
    const std::uint64_t q32 = static_cast<std::uint64_t>((ns << 32) / (second.ticks - first.ticks));
    // A TSC slower than 10 MHz or faster than 100 GHz is not one to trust.
    if (q32 == 0 || q32 > (std::uint64_t{100} << 32)) {
        return {};
    }
    return ClockCalibration{second.ns, second.ticks, q32};
}
#endif

std::once_flag g_calibrateOnce;

} // namespace

void TraceClock::ensureCalibrated() noexcept {
#if defined(__x86_64__)
    std::call_once(g_calibrateOnce, [] {
        if (!current().valid()) {
            adopt(measure());
        }
    });
#endif
}

void TraceClock::adopt(const ClockCalibration& c) noexcept {
    if (!c.valid()) {
        s_nsPerTickQ32.store(0, std::memory_order_relaxed);
        return;
    }
    s_baseNs.store(c.baseNs, std::memory_order_relaxed);
    s_baseTicks.store(c.baseTicks, std::memory_order_relaxed);
    s_nsPerTickQ32.store(c.nsPerTickQ32, std::memory_order_release);
}

ClockCalibration TraceClock::current() noexcept {
    ClockCalibration c;
    c.nsPerTickQ32 = s_nsPerTickQ32.load(std::memory_order_acquire);
    c.baseNs = s_baseNs.load(std::memory_order_relaxed);
    c.baseTicks = s_baseTicks.load(std::memory_order_relaxed);
    return c;
}

} // namespace forkscope::trace
