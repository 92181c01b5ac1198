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
    double target = 0;           ///< bound on value/limit: at most (lowerIsBetter) or at least
    std::vector<double> samples; ///< the per-repetition values
    std::vector<double> limitSamples;
};

struct BenchOptions {
    int repetitions = 7;
    double scale = 1.0; ///< multiplies the number of operations per repetition
};

/// Measures the start→join latency of a no-op child under each start method.
std::vector<Figure> benchStartLatency(const BenchOptions& options);
/// Measures the round trip of a manager proxy call over a Unix socket and over TCP.
std::vector<Figure> benchManager(const BenchOptions& options);

[[nodiscard]] double median(std::vector<double> values);
[[nodiscard]] nlohmann::json toJson(const std::vector<Figure>& figures, const BenchOptions& options);
/// A human-readable table.
[[nodiscard]] std::string toText(const std::vector<Figure>& figures);

} // namespace forkscope::cli
