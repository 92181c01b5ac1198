#pragma once

#include "series.h"
#include "trace/trace_reader.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace forkscope {

/// What one CSV export wrote.
struct CsvSeriesStats {
    std::size_t rows = 0;    ///< time samples (data lines)
    std::size_t columns = 0; ///< metric columns, t_ms not counted
};

/// Writes the metric series of a .fstrace (core/analysis/series.h) as CSV: one row per time
/// sample, `t_ms` (the sample's end, milliseconds from the first event) then one column per
/// object and metric, named `<metric>:<object name>`:
///   queue_depth:<q>, queue_pipe_bytes:<q>   each queue (Queue, SimpleQueue, JoinableQueue)
///   pipe_bytes:<p>                          each pipe
///   lock_wait_ms:<l>, lock_hold_ms:<l>,     each lock (Lock, RLock): mean wait/hold of the
///   lock_contention:<l>                     acquisitions/releases in the sample; empty if none
///   zombie_count                            processes ended and not reaped
/// Level columns (depth, bytes, zombies) hold the maximum inside the sample, so a spike shorter
/// than a sample still shows. Each column is one streaming Series::compute over the trace: memory
/// grows with columns × points, never with the number of events.
class CsvSeriesExporter {
public:
    static constexpr std::size_t kDefaultPoints = 1000;
    static constexpr std::size_t kMaxPoints = 1'000'000;

    /// `points` samples between the first and the last event (std::invalid_argument if 0 or
    /// more than kMaxPoints).
    explicit CsvSeriesExporter(TraceReader& reader, std::size_t points = kDefaultPoints);

    /// Throws TraceFormatError for a damaged trace and std::runtime_error when the stream fails.
    CsvSeriesStats write(std::ostream& out);

    /// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a line break.
    [[nodiscard]] static std::string field(const std::string& text);

private:
    struct Column {
        std::string header;
        Metric metric = Metric::QueueDepth;
        std::uint64_t object = 0;
        double scale = 1.0; ///< ns → ms for the time metrics
    };
    [[nodiscard]] std::vector<Column> columns();

    TraceReader& reader_;
    std::size_t points_;
};

} // namespace forkscope
