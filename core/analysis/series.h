#pragma once

#include "trace/trace_reader.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace forkscope {

/// What a plot can show. Each is derived from the events alone (docs/tracing.md):
enum class Metric : std::uint8_t {
    QueueDepth, ///< level: items put and not yet got (object = queue)
    PipeBytes,  ///< level: bytes in the pipe (object = pipe, or queue: its feeder pipe); capacity set
    LockWaitNs, ///< per acquisition: LockWait → LockAcquire time (0 if uncontended); object 0 = all locks
    LockHoldNs, ///< per release: LockAcquire → LockRelease (depth 0) time; object 0 = all locks
    ContentionRatio, ///< per bucket: acquisitions that had to wait / all acquisitions; object 0 = all locks
    ZombieCount,     ///< level: processes ended but not reaped (object ignored)
};

[[nodiscard]] std::string_view metricName(Metric metric) noexcept;

/// One bucket of a downsampled series. For a level metric, `value` is the level at the bucket's
/// end and min/max are its extremes inside the bucket (so a short spike survives the
/// downsampling); for a per-occurrence metric, `value` is the mean over the `count` occurrences
/// that completed in the bucket (0 when count is 0).
struct SeriesPoint {
    std::int64_t t = 0; ///< the bucket's end
    double value = 0;
    double min = 0;
    double max = 0;
    std::uint64_t count = 0;
};

/// A metric between t0 and t1, downsampled to a requested number of equal-width buckets.
class Series {
public:
    static Series compute(TraceReader& reader, Metric metric, std::uint64_t object, std::int64_t t0,
                          std::int64_t t1, std::size_t points);

    Metric metric = Metric::QueueDepth;
    std::uint64_t object = 0;
    std::uint64_t capacity = 0; ///< the object's registered capacity (pipe bytes), 0 if unknown
    std::vector<SeriesPoint> points;
};

} // namespace forkscope
