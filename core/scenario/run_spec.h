#pragma once

#include "process/fd_handle.h"

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cstdint>
#include <map>
#include <string>

namespace forkscope {

/// What a scenario process needs to know to play its part. It is the first start argument of
/// every scenario process, so it travels by memory under fork and serialised under spawn and
/// forkserver: only a path, names and two pipe ends, never the scenario itself.
struct RunSpec {
    std::string scenarioPath;     ///< the file a spawned image loads the scenario from again
    std::string variant;          ///< "hazard" | "fix"
    std::string parametersJson;   ///< the resolved parameter values
    std::string startMethod;      ///< how main starts its children
    std::string processKind;      ///< "main", "worker", ...
    std::int64_t index = 0;       ///< which instance of the kind
    FdHandle report;              ///< write end of the host's report pipe (observations, errors)
    FdHandle output;              ///< write end of the shared output (what `print` writes)
    bool closureArgument = false; ///< a closure follows the objects (the picklability hazard)
    std::map<std::string, std::int64_t>
        passedGlobals;        ///< globals handed over explicitly (start's pass_global)
    std::int64_t startNs = 0; ///< CLOCK_MONOTONIC when the parent called start() on this process

    [[nodiscard]] std::string processName() const {
        return processKind == "main" ? processKind : processKind + "-" + std::to_string(index);
    }

    template <class Archive> void serialize(Archive& ar) {
        ar(scenarioPath, variant, parametersJson, startMethod, processKind, index, report, output,
           closureArgument, passedGlobals, startNs);
    }
};

} // namespace forkscope
