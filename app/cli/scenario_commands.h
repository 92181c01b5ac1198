#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace forkscope::cli {

/// Adds `list`, `run` and `replay` to the app. Each returns the function that runs the command
/// once parsing succeeded (exit code: 0 expected outcome / success, 1 not, 2 bad input).
struct ScenarioCommands {
    CLI::App* list = nullptr;
    CLI::App* run = nullptr;
    CLI::App* replay = nullptr;
    std::function<int()> runList;
    std::function<int()> runRun;
    std::function<int()> runReplay;
};
ScenarioCommands addScenarioCommands(CLI::App& app);

} // namespace forkscope::cli
