#include "scenario_library.h"

#include "scenario_loader.h"

#include <algorithm>
#include <cstdlib>
#include <unistd.h>

namespace forkscope {

namespace {

std::filesystem::path executableDirectory() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : exe.parent_path();
}

bool hasScenarios(const std::filesystem::path& dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".json") {
            return true;
        }
    }
    return false;
}

} // namespace

std::vector<std::filesystem::path> ScenarioLibrary::searchPath() {
    std::vector<std::filesystem::path> dirs;
    if (const char* env = std::getenv("FORKSCOPE_SCENARIO_DIR"); env != nullptr && *env != '\0') {
        dirs.emplace_back(env);
    }
    const auto exeDir = executableDirectory();
    if (!exeDir.empty()) {
        dirs.push_back(exeDir.parent_path() / "share" / "forkscope" / "scenarios");
    }
#ifdef FORKSCOPE_SCENARIO_DIR
    dirs.emplace_back(FORKSCOPE_SCENARIO_DIR);
#endif
#ifdef FORKSCOPE_SOURCE_SCENARIO_DIR
    dirs.emplace_back(FORKSCOPE_SOURCE_SCENARIO_DIR);
#endif
    return dirs;
}

std::vector<Scenario> ScenarioLibrary::loadAll() {
    for (const auto& dir : searchPath()) {
        if (!hasScenarios(dir)) {
            continue;
        }
        std::vector<Scenario> scenarios;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() == ".json") {
                scenarios.push_back(ScenarioLoader::loadFile(entry.path().string()));
            }
        }
        std::sort(scenarios.begin(), scenarios.end(),
                  [](const Scenario& a, const Scenario& b) { return a.id < b.id; });
        return scenarios;
    }
    return {};
}

Scenario ScenarioLibrary::load(const std::string& idOrPath) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(idOrPath, ec)) {
        return ScenarioLoader::loadFile(idOrPath);
    }
    std::string searched;
    for (const auto& dir : searchPath()) {
        const auto file = dir / (idOrPath + ".json");
        if (std::filesystem::is_regular_file(file, ec)) {
            return ScenarioLoader::loadFile(file.string());
        }
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    throw ScenarioError(idOrPath, 0, "",
                        "no such scenario file, and no built-in scenario has this id (searched: " + searched +
                            "; `forkscope-cli list` shows the ids)");
}

} // namespace forkscope
