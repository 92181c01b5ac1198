#include "series.h"

#include "state_at.h"
#include "trace/state_model.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace forkscope {

std::string_view metricName(Metric metric) noexcept {
    switch (metric) {
    case Metric::QueueDepth:
        return "queue_depth";
    case Metric::PipeBytes:
        return "pipe_bytes";
    case Metric::LockWaitNs:
        return "lock_wait_ns";
    case Metric::LockHoldNs:
        return "lock_hold_ns";
    case Metric::ContentionRatio:
        return "contention_ratio";
    case Metric::ZombieCount:
        return "zombie_count";
    }
    return "unknown";
}

namespace {

bool isLevel(Metric metric) {
    return metric == Metric::QueueDepth || metric == Metric::PipeBytes || metric == Metric::ZombieCount;
}

double level(const SystemState& s, Metric metric, std::uint64_t object) {
    switch (metric) {
    case Metric::QueueDepth: {
        auto it = s.queues.find(object);
        return it == s.queues.end() ? 0.0 : static_cast<double>(it->second.depth);
    }
    case Metric::PipeBytes: {
        if (auto it = s.pipes.find(object); it != s.pipes.end()) {
            return static_cast<double>(it->second.bytes);
        }
        auto it = s.queues.find(object);
        return it == s.queues.end() ? 0.0 : static_cast<double>(it->second.pipeBytes);
    }
    case Metric::ZombieCount:
        return s.zombieCount();
    default:
        return 0.0;
    }
}

/// Whether an event can change the level (so the level is recomputed only then).
bool touches(const Event& e, Metric metric, std::uint64_t object) {
    if (metric == Metric::ZombieCount) {
        return e.type == EventType::ProcessExited || e.type == EventType::ProcessZombie ||
               e.type == EventType::ProcessReaped || e.type == EventType::ProcessCreated ||
               e.type == EventType::ProcessStarted;
    }
    return e.object == object;
}

class Accumulator {
public:
    void add(double v) {
        sum_ += v;
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
        ++count_;
    }
    void addRatio(bool hit) {
        hits_ += hit ? 1 : 0;
        ++count_;
    }
    SeriesPoint point(std::int64_t t, bool ratio) const {
        SeriesPoint p;
        p.t = t;
        p.count = count_;
        if (count_ == 0) {
            return p;
        }
        if (ratio) {
            p.value = static_cast<double>(hits_) / static_cast<double>(count_);
            p.min = p.max = p.value;
        } else {
            p.value = sum_ / static_cast<double>(count_);
            p.min = min_;
            p.max = max_;
        }
        return p;
    }

private:
    double sum_ = 0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
    std::uint64_t count_ = 0;
    std::uint64_t hits_ = 0;
};

} // namespace

Series Series::compute(TraceReader& reader, Metric metric, std::uint64_t object, std::int64_t t0,
                       std::int64_t t1, std::size_t points) {
    if (points == 0 || t1 <= t0) {
        throw std::invalid_argument("a series needs t1 > t0 and at least one point");
    }
    points = std::min<std::size_t>(points, static_cast<std::size_t>(t1 - t0));
    Series series;
    series.metric = metric;
    series.object = object;
    if (object != 0) {
        if (auto info = reader.object(object)) {
            series.capacity = info->capacity;
        }
    }
    SystemState start = StateAt(reader).at(t0);
    const std::uint64_t fromSeq = start.seq;
    StateModel model(std::move(start));
    const auto width = static_cast<double>(t1 - t0) / static_cast<double>(points);
    auto bucketEnd = [&](std::size_t i) {
        return i + 1 == points ? t1 : t0 + static_cast<std::int64_t>(width * static_cast<double>(i + 1));
    };

    const bool levelMetric = isLevel(metric);
    double current = level(model.state(), metric, object);
    double low = current;
    double high = current;
    Accumulator accumulator;
    std::size_t bucket = 0;
    auto closeBucket = [&] {
        if (levelMetric) {
            series.points.push_back({bucketEnd(bucket), current, low, high, 1});
            low = high = current;
        } else {
            series.points.push_back(accumulator.point(bucketEnd(bucket), metric == Metric::ContentionRatio));
            accumulator = Accumulator{};
        }
        ++bucket;
    };

    reader.forEachEvent(fromSeq, t1, [&](std::uint64_t seq, const Event& e) {
        while (bucket < points && e.ts > bucketEnd(bucket)) {
            closeBucket();
        }
        const ApplyEffect effect = model.apply(e, seq);
        if (levelMetric) {
            if (touches(e, metric, object)) {
                current = level(model.state(), metric, object);
                low = std::min(low, current);
                high = std::max(high, current);
            }
            return true;
        }
        const bool mine = object == 0 || effect.lock == object;
        if (metric == Metric::LockWaitNs && effect.acquired && mine) {
            accumulator.add(static_cast<double>(std::max<std::int64_t>(0, effect.waitNs)));
        } else if (metric == Metric::LockHoldNs && effect.released && effect.holdNs >= 0 && mine) {
            accumulator.add(static_cast<double>(effect.holdNs));
        } else if (metric == Metric::ContentionRatio && effect.acquired && mine) {
            accumulator.addRatio(effect.contended);
        }
        return true;
    });
    while (bucket < points) {
        closeBucket();
    }
    return series;
}

} // namespace forkscope
