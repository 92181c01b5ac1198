#pragma once

#include "scenario.h"

#include <filesystem>
#include <string>
#include <vector>

namespace forkscope {

/// Where built-in scenarios are found, and how `run ID_OR_PATH` finds one.
///
/// The search path, first match wins: $FORKSCOPE_SCENARIO_DIR; the installed data directory
/// (share/forkscope/scenarios next to the binary's prefix); the source tree's
/// resources/scenarios (for a build that was not installed).
class ScenarioLibrary {
public:
    [[nodiscard]] static std::vector<std::filesystem::path> searchPath();
    /// Every scenario of the first directory on the search path that has any, sorted by id.
    /// A built-in file that does not load is an error (ScenarioError), not a silent gap.
    [[nodiscard]] static std::vector<Scenario> loadAll();
    /// A path to an existing file is loaded as it is; anything else is looked up as an id.
    /// Throws ScenarioError naming what was searched.
    [[nodiscard]] static Scenario load(const std::string& idOrPath);
};

} // namespace forkscope
