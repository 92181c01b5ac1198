#pragma once

#include "scenario.h"

#include <map>
#include <stdexcept>
#include <string>

namespace forkscope {

/// A scenario file that cannot be used, with where and why: "queue.json:23: /processes/worker/
/// actions/0/do: unknown action 'putt' (known: start, join, ...)". Nothing runs.
class ScenarioError : public std::runtime_error {
public:
    ScenarioError(std::string file, int line, std::string field, const std::string& message);
    [[nodiscard]] const std::string& file() const noexcept { return file_; }
    [[nodiscard]] int line() const noexcept { return line_; }
    /// The JSON pointer of the offending field ("" for the whole file).
    [[nodiscard]] const std::string& field() const noexcept { return field_; }

private:
    std::string file_;
    int line_;
    std::string field_;
};

/// Parameter values for one run: the defaults, overridden by --set KEY=VALUE.
using ParameterValues = std::map<std::string, nlohmann::json>;

class ScenarioLoader {
public:
    /// Reads and validates a scenario file. Throws ScenarioError.
    [[nodiscard]] static Scenario loadFile(const std::string& path);
    /// Validates a scenario held in memory; `source` names it in errors.
    [[nodiscard]] static Scenario loadText(const std::string& text, const std::string& source);

    /// The defaults with `overrides` ("workers" -> "4") applied, each checked against its
    /// parameter's type and range. Throws ScenarioError naming the parameter.
    [[nodiscard]] static ParameterValues
    resolveParameters(const Scenario& scenario, const std::map<std::string, std::string>& overrides);
    /// The integer an action field holds, following "$parameter" references.
    [[nodiscard]] static std::int64_t integerField(const nlohmann::json& value,
                                                   const ParameterValues& parameters);
    [[nodiscard]] static bool booleanField(const nlohmann::json& value, const ParameterValues& parameters);
};

} // namespace forkscope
