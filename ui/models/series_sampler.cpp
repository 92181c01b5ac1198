#include "series_sampler.h"

#include <algorithm>

namespace forkscope {

namespace {

/// First point with ts >= t (the points are sorted by time).
template <typename Point> auto firstAtOrAfter(const std::vector<Point>& points, std::int64_t t) {
    return std::lower_bound(points.begin(), points.end(), t,
                            [](const Point& p, std::int64_t x) { return p.ts < x; });
}

/// First point with ts > t.
template <typename Point> auto firstAfter(const std::vector<Point>& points, std::int64_t t) {
    return std::upper_bound(points.begin(), points.end(), t,
                            [](std::int64_t x, const Point& p) { return x < p.ts; });
}

} // namespace

SeriesSampler::SeriesSampler(std::int64_t originNs, std::int64_t t0, std::int64_t t1, std::int64_t endNs,
                             int buckets)
    : origin_(originNs), t0_(t0), t1_(std::max(t1, t0 + 1)), end_(endNs), buckets_(std::max(1, buckets)) {}

int SeriesSampler::bucketOf(std::int64_t ns) const noexcept {
    const double f = double(ns - t0_) / double(t1_ - t0_);
    return std::clamp(int(f * buckets_), 0, buckets_ - 1);
}

SampledSeries SeriesSampler::levels(const std::vector<LevelPoint>& points) const {
    SampledSeries out;
    if (points.empty()) {
        return out;
    }
    auto it = firstAtOrAfter(points, t0_);
    const auto stop = firstAfter(points, t1_);
    const bool sparse = stop - it <= std::ptrdiff_t(2 * buckets_);
    if (it != points.begin()) { // the level in force when the window opens
        const LevelPoint& before = *(it - 1);
        out.keys << seconds(std::max(before.ts, t0_));
        out.values << std::max(0, before.depth);
        out.values2 << std::max(0, before.pipeBytes) / 1024.0;
    }
    int bucket = -1;
    for (; it != stop; ++it) {
        const double depth = std::max(0, it->depth); // a view clamps (StateModel counts exactly)
        const double kib = std::max(0, it->pipeBytes) / 1024.0;
        const int b = sparse ? bucket + 1 : bucketOf(it->ts);
        if (b != bucket || out.keys.isEmpty()) {
            out.keys << seconds(it->ts);
            out.values << depth;
            out.values2 << kib;
            bucket = b;
        } else {
            out.values.back() = std::max(out.values.back(), depth);
            out.values2.back() = std::max(out.values2.back(), kib);
        }
    }
    if (!out.keys.isEmpty()) { // the level holds until the end of what is known (or of the window)
        out.keys << seconds(std::max(std::min(end_, t1_), t0_));
        out.values << out.values.back();
        out.values2 << out.values2.back();
    }
    return out;
}

SampledSeries SeriesSampler::lockTimes(const std::vector<LockPoint>& points, bool acquired) const {
    SampledSeries out;
    auto it = firstAtOrAfter(points, t0_);
    const auto stop = firstAfter(points, t1_);
    const bool sparse = stop - it <= std::ptrdiff_t(2 * buckets_);
    int bucket = -1;
    for (; it != stop; ++it) {
        if (it->acquired() != acquired) {
            continue;
        }
        const double ms = it->ms;
        const int b = sparse ? bucket + 1 : bucketOf(it->ts);
        if (b != bucket || out.keys.isEmpty()) {
            out.keys << seconds(it->ts);
            out.values << ms;
            bucket = b;
        } else if (ms > out.values.back()) {
            out.keys.back() = seconds(it->ts);
            out.values.back() = ms;
        }
    }
    return out;
}

SampledSeries SeriesSampler::utilisation(const std::vector<PoolPoint>& points, int poolSize) const {
    SampledSeries out;
    const double size = std::max(1, poolSize);
    auto it = firstAtOrAfter(points, t0_);
    const auto stop = firstAfter(points, t1_);
    double busy = it != points.begin() ? (it - 1)->busy : 0.0; // in force when the window opens
    const std::int64_t last = std::max(std::min(end_, t1_), t0_);
    if (stop - it <= std::ptrdiff_t(2 * buckets_)) {
        out.keys << seconds(t0_);
        out.values << 100.0 * busy / size;
        for (; it != stop; ++it) {
            out.keys << seconds(it->ts);
            out.values << 100.0 * it->busy / size;
        }
        out.keys << seconds(last);
        out.values << out.values.back();
        return out;
    }
    // Time-weighted mean of each bucket: a pool that is busy 30 % of a bucket shows 30 %.
    const double width = double(t1_ - t0_) / buckets_;
    for (int b = 0; b < buckets_; ++b) {
        const std::int64_t from = t0_ + std::int64_t(width * b);
        const std::int64_t to = std::min(last, t0_ + std::int64_t(width * (b + 1)));
        if (to <= from) {
            break;
        }
        double weighted = 0;
        std::int64_t at = from;
        for (; it != stop && it->ts < to; ++it) {
            weighted += busy * double(it->ts - at);
            at = it->ts;
            busy = it->busy;
        }
        weighted += busy * double(to - at);
        out.keys << seconds(from);
        out.values << 100.0 * weighted / double(to - from) / size;
    }
    if (!out.keys.isEmpty()) {
        out.keys << seconds(last);
        out.values << out.values.back();
    }
    return out;
}

SampledSeries SeriesSampler::throughput(const std::vector<PoolPoint>& points, int maxSlices) const {
    SampledSeries out;
    const std::int64_t last = std::max(std::min(end_, t1_), t0_ + 1);
    const auto first = firstAtOrAfter(points, t0_);
    const auto stop = firstAfter(points, last);
    const auto finished = std::count_if(first, stop, [](const PoolPoint& p) { return p.finished != 0; });
    // A rate needs slices that hold several tasks: with 4 tasks in the window, one slice (their
    // mean rate) says more than 60 slices of 0 and 1.
    const int slices = std::clamp(int(finished / kTasksPerSlice), 1, std::max(1, maxSlices));
    const double width = double(last - t0_) / slices;
    std::vector<int> counts(static_cast<std::size_t>(slices), 0);
    for (auto it = first; it != stop; ++it) {
        if (it->finished != 0) {
            const int b = std::clamp(int(double(it->ts - t0_) / width), 0, slices - 1);
            ++counts[static_cast<std::size_t>(b)];
        }
    }
    for (int b = 0; b < slices; ++b) {
        out.keys << seconds(t0_ + std::int64_t(width * b));
        out.values << counts[static_cast<std::size_t>(b)] / (width / 1e9);
    }
    out.keys << seconds(last);
    out.values << out.values.back();
    return out;
}

} // namespace forkscope
