#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forkscope::cli {

/// One benchmark figure: the engine's value next to the raw OS limit measured in the same run,
/// so the ratio means something on a noisy shared machine.
struct Figure {
    std::string name;
    std::string unit;      ///< "us", "ns", "msgs/s", "bytes/s", ...
    double value = 0;      ///< median over the repetitions
    double limit = 0;      ///< median of the raw OS figure, measured interleaved with value
    std::string limitWhat; ///< what the limit measures
    bool lowerIsBetter = true;
    double target = 0;           ///< bound on value/limit: at most (lowerIsBetter) or at least; 0: none
    double valueMax = 0;         ///< an absolute bound on value as well (JSON value_max); 0: none
    std::vector<double> samples; ///< the per-repetition values
    std::vector<double> limitSamples;
};

struct BenchOptions {
    int repetitions = 7;
    double scale = 1.0; ///< multiplies the number of operations per repetition
    std::string only;   ///< a group name, or empty for all
};

/// Measures the start→join latency of a no-op child under each start method.
std::vector<Figure> benchStartLatency(const BenchOptions& options);
/// Measures Pipe throughput (64-byte and 1 MiB messages, child to parent) against a raw socketpair.
std::vector<Figure> benchPipe(const BenchOptions& options);
/// Lock acquire+release cost and 2-process contended increments of a locked Value.
std::vector<Figure> benchSync(const BenchOptions& options);
/// Queue and ShmQueue message rates between two processes.
std::vector<Figure> benchQueue(const BenchOptions& options);

/// A set of figures measured together; `forkscope-cli bench --only NAME` runs one.
struct BenchGroup {
    const char* name;
    std::vector<Figure> (*run)(const BenchOptions&);
};
/// Every group, in the order the figures are printed.
[[nodiscard]] const std::vector<BenchGroup>& benchGroups();
/// The cost of observation: one event emit (event_emit_ns), queue round trips with tracing on
/// against off (queue_round_trip_traced_us, trace_overhead_pct) and one seek in a 10M-event trace
/// (trace_seek_ms; scaled by --scale).
std::vector<Figure> benchEvents(const BenchOptions& options);
/// Pool task throughput (chunksize 1 and Python's default) and apply() round trip.
std::vector<Figure> benchPool(const BenchOptions& options);
/// Measures the round trip of a manager proxy call over a Unix socket and over TCP.
std::vector<Figure> benchManager(const BenchOptions& options);

/// A figure with its description filled in, ready for measureInterleaved().
[[nodiscard]] Figure makeFigure(std::string name, std::string unit, std::string limitWhat, bool lowerIsBetter,
                                double target);
[[nodiscard]] double median(std::vector<double> values);
/// Runs engine() and limit() once each to warm up, then alternately `repetitions` times (so a
/// noisy neighbour slows both sides of the ratio alike), and stores the samples and medians.
[[nodiscard]] Figure measureInterleaved(Figure figure, const BenchOptions& options,
                                        const std::function<double()>& engine,
                                        const std::function<double()>& limit);
/// Makes the bytes at `p` count as read and written, so the compiler keeps a bare loop's stores
/// (and the copies into a buffer nothing else reads) that a limit must pay for as the engine does.
inline void escape(const void* p) {
    asm volatile("" : : "g"(p) : "memory");
}
/// count × scale, at least 1.
[[nodiscard]] long scaled(long count, double scale);
[[nodiscard]] nlohmann::json toJson(const std::vector<Figure>& figures, const BenchOptions& options);
/// A human-readable table.
[[nodiscard]] std::string toText(const std::vector<Figure>& figures);

} // namespace forkscope::cli
