#include "csv_series_exporter.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace forkscope {

namespace {

bool isQueueKind(ObjectKind kind) {
    return kind == ObjectKind::Queue || kind == ObjectKind::SimpleQueue || kind == ObjectKind::JoinableQueue;
}

bool isLevel(Metric metric) {
    return metric == Metric::QueueDepth || metric == Metric::PipeBytes || metric == Metric::ZombieCount;
}

std::string number(double value) {
    char text[64];
    if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(text, sizeof text, "%" PRId64, static_cast<std::int64_t>(value));
    } else {
        std::snprintf(text, sizeof text, "%.9g", value);
    }
    return text;
}

} // namespace

CsvSeriesExporter::CsvSeriesExporter(TraceReader& reader, std::size_t points)
    : reader_(reader), points_(points) {
    if (points == 0 || points > kMaxPoints) {
        throw std::invalid_argument("the number of CSV points must be between 1 and " +
                                    std::to_string(kMaxPoints) + ", not " + std::to_string(points));
    }
}

std::string CsvSeriesExporter::field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) {
        return text;
    }
    std::string quoted = "\"";
    for (char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + "\"";
}

std::vector<CsvSeriesExporter::Column> CsvSeriesExporter::columns() {
    std::vector<ObjectInfo> objects = reader_.objects();
    // Two objects with one name get their id too, so every header is unique.
    std::map<std::string, int> uses;
    for (const ObjectInfo& o : objects) {
        uses[o.name] += 1;
    }
    auto label = [&](const ObjectInfo& o) {
        return uses[o.name] > 1 ? o.name + "#" + std::to_string(o.id - kFirstObjectId) : o.name;
    };
    std::vector<Column> result;
    for (const ObjectInfo& o : objects) {
        if (isQueueKind(o.kind)) {
            result.push_back({"queue_depth:" + label(o), Metric::QueueDepth, o.id, 1.0});
            result.push_back({"queue_pipe_bytes:" + label(o), Metric::PipeBytes, o.id, 1.0});
        } else if (o.kind == ObjectKind::Pipe) {
            result.push_back({"pipe_bytes:" + label(o), Metric::PipeBytes, o.id, 1.0});
        } else if (o.kind == ObjectKind::Lock || o.kind == ObjectKind::RLock) {
            result.push_back({"lock_wait_ms:" + label(o), Metric::LockWaitNs, o.id, 1e-6});
            result.push_back({"lock_hold_ms:" + label(o), Metric::LockHoldNs, o.id, 1e-6});
            result.push_back({"lock_contention:" + label(o), Metric::ContentionRatio, o.id, 1.0});
        }
    }
    result.push_back({"zombie_count", Metric::ZombieCount, 0, 1.0});
    return result;
}

CsvSeriesStats CsvSeriesExporter::write(std::ostream& out) {
    const std::vector<Column> cols = columns();
    CsvSeriesStats stats;
    stats.columns = cols.size();
    out << "t_ms";
    for (const Column& c : cols) {
        out << ',' << field(c.header);
    }
    out << '\n';
    if (const auto range = reader_.timeRange()) {
        const std::int64_t t0 = range->first;
        // A trace whose events all share one time still has one sample.
        const std::int64_t t1 = std::max(range->second, t0 + 1);
        std::vector<Series> series;
        series.reserve(cols.size());
        for (const Column& c : cols) {
            series.push_back(Series::compute(reader_, c.metric, c.object, t0, t1, points_));
        }
        const std::size_t rows = series.front().points.size();
        for (std::size_t row = 0; row < rows; ++row) {
            char t[48];
            std::snprintf(t, sizeof t, "%.6f", static_cast<double>(series.front().points[row].t - t0) / 1e6);
            out << t;
            for (std::size_t i = 0; i < cols.size(); ++i) {
                const SeriesPoint& p = series[i].points[row];
                out << ',';
                if (isLevel(cols[i].metric)) {
                    out << number(p.max);
                } else if (p.count > 0) {
                    out << number(p.value * cols[i].scale);
                }
            }
            out << '\n';
        }
        stats.rows = rows;
    }
    out.flush();
    if (!out) {
        throw std::runtime_error("writing the CSV failed");
    }
    return stats;
}

} // namespace forkscope
