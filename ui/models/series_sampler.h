#pragma once

#include "trace_update.h"

#include <QVector>
#include <cstdint>
#include <vector>

namespace forkscope {

/// Points ready for a plot: keys in seconds since the trace's start.
struct SampledSeries {
    QVector<double> keys;
    QVector<double> values;
    QVector<double> values2; ///< a second value per key where a series has one (pipe KiB)
};

/// Turns TraceData's compact series into what a plot draws for the visible time window: at most
/// about `buckets` points per series, whatever the number of samples, so that a redraw costs
/// the same for 100 events and for 10 million. Only the window is read (binary search to its
/// start); what a bucket keeps is its peak for levels and lock times (a short spike survives),
/// the time-weighted mean for the pool's utilisation, the count for throughput.
class SeriesSampler {
public:
    /// `originNs`: the trace's start (key 0); [t0, t1]: the visible window; `endNs`: the end of
    /// what is known (a level holds until then).
    SeriesSampler(std::int64_t originNs, std::int64_t t0, std::int64_t t1, std::int64_t endNs, int buckets);

    /// Steps of queue depth (values) and pipe KiB (values2); the level before t0 opens the window.
    [[nodiscard]] SampledSeries levels(const std::vector<LevelPoint>& points) const;
    /// Lock acquisitions' waits (ms) when `acquired`, else releases' holds (ms): every one when
    /// they are few, else each bucket's longest, at its own time.
    [[nodiscard]] SampledSeries lockTimes(const std::vector<LockPoint>& points, bool acquired) const;
    /// Busy workers as a percentage of `poolSize`, as steps: exact when the changes are few, else
    /// each bucket's time-weighted mean.
    [[nodiscard]] SampledSeries utilisation(const std::vector<PoolPoint>& points, int poolSize) const;
    /// Tasks finished per second, counted in equal slices of the window (steps): at most
    /// `maxSlices`, and few enough that a slice holds kTasksPerSlice tasks on average.
    [[nodiscard]] SampledSeries throughput(const std::vector<PoolPoint>& points, int maxSlices) const;

    static constexpr int kTasksPerSlice = 3;

private:
    [[nodiscard]] double seconds(std::int64_t ns) const noexcept { return double(ns - origin_) / 1e9; }
    [[nodiscard]] int bucketOf(std::int64_t ns) const noexcept;

    std::int64_t origin_;
    std::int64_t t0_;
    std::int64_t t1_;
    std::int64_t end_;
    int buckets_;
};

} // namespace forkscope
