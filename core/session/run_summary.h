#pragma once

#include "analysis/diagnosis.h"
#include "analysis/run_metrics.h"
#include "events/event_sink.h"
#include "scenario/scenario.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

class TraceReader;

/// What `forkscope-cli run --json` prints, and `replay` recomputes from a recording. The field
/// names are a contract (issue 5): users' scripts read them.
struct RunSummary {
    struct ProcessEntry {
        std::string name;
        std::int32_t pid = 0;
        std::string startMethod;
        std::optional<std::int64_t> exitCode;
        double zombieMs = 0.0;
    };
    struct Leaks {
        int processes = 0;
        int shmSegments = 0;
        int semaphores = 0;
        int fds = 0;
    };

    std::string scenario;
    std::string startMethod;
    std::string variant;
    Outcome outcome = Outcome::Completed;
    std::optional<Outcome> expectedOutcome;
    std::optional<std::string> error;
    std::optional<Diagnosis> diagnosis;
    std::vector<ProcessEntry> processes;
    nlohmann::json metrics = nlohmann::json::object();
    std::vector<std::string> observations;
    Leaks leaks;
    nlohmann::json reclaimed = nlohmann::json::object(); ///< what the host had to clean after a teardown
    std::optional<std::string> trace;
    double durationMs = 0.0;

    [[nodiscard]] nlohmann::json toJson() const;
    /// The human-readable form (what `run` prints without --json).
    [[nodiscard]] std::string toText() const;

    /// The process table from what the monitor learnt (the host itself is left out).
    static std::vector<ProcessEntry> processesFrom(const SystemState& state,
                                                   const std::map<std::int32_t, ProcessInfo>& infos,
                                                   const RunMetrics& metrics, std::int64_t endNs);
    /// Recomputes the summary from a recording alone: processes, metrics and the diagnosis come
    /// from replaying its events; what events cannot tell (errors, observations, leaks) from
    /// its meta table. Throws TraceFormatError for a file that is not a finished run's trace.
    static RunSummary replay(TraceReader& reader);
};

} // namespace forkscope
