#pragma once

#include "run_summary.h"
#include "scenario/scenario.h"
#include "scenario/scenario_loader.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace forkscope {

struct RunOptions {
    Variant variant = Variant::Hazard;
    StartMethod startMethod = StartMethod::Fork;
    ParameterValues parameters; ///< resolved (ScenarioLoader::resolveParameters)
    std::chrono::milliseconds timeout{15000};
    /// How long every live process must stay blocked, with no event at all, before the run is
    /// diagnosed: long enough that a wait about to end is not mistaken for a stall.
    std::chrono::milliseconds quietBeforeDiagnosis{400};
    std::optional<std::filesystem::path> record; ///< write the trace here (refuses to overwrite)
};

/// The session host: runs one scenario with real processes, watches it, and ends it cleanly.
///
/// It records every event (Monitor → LiveSink → TraceWriter), starts the scenario's main with
/// fork in a process group of its own, and then only watches: the report pipe, main's end, and
/// the live model. When every live process has been blocked, with no event, for
/// quietBeforeDiagnosis, the wait-for graph is diagnosed and the run torn down; when the
/// timeout passes first, the outcome is `timeout`. Either way nothing is left behind: the
/// group is killed, every process reaped, and what a killed process could not clean is
/// reclaimed and reported. The host never runs scenario code itself.
class RunSession {
public:
    RunSession(Scenario scenario, RunOptions options);
    [[nodiscard]] RunSummary run();

private:
    Scenario scenario_;
    RunOptions options_;
};

} // namespace forkscope
