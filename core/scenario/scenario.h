#pragma once

#include "process/start_method.h"

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

/// How a run ends, in the one vocabulary the CLI, the GUI and the tests share.
enum class Outcome {
    Completed, ///< every process finished
    Deadlock,  ///< parties wait on each other in a cycle
    Stall,     ///< something waits for what will never come, with no cycle
    Error,     ///< the run failed at once with an error (e.g. serialisation at start())
    Timeout,   ///< nothing was diagnosed but the run did not finish in time
};
[[nodiscard]] std::string_view toString(Outcome outcome) noexcept;
[[nodiscard]] std::optional<Outcome> parseOutcome(std::string_view text) noexcept;

enum class Variant { Hazard, Fix };
[[nodiscard]] std::string_view toString(Variant variant) noexcept;

/// A value an action field takes: a literal or a reference to a parameter ("$workers").
struct ParameterRef {
    std::string name;
};

struct ParameterSpec {
    enum class Type { Integer, Boolean, String };
    std::string name;
    Type type = Type::Integer;
    nlohmann::json defaultValue;
    std::optional<std::int64_t> minimum; ///< integers only
    std::optional<std::int64_t> maximum;
    std::string unit;
    std::string description;
};

/// A shared object the scenario's processes use (a queue, a lock ...), created by the session
/// host and passed to the processes that name it.
struct ObjectSpec {
    std::string name;
    std::string kind;       ///< one of ActionCatalog::objectKinds()
    nlohmann::json options; ///< kind-specific (maxsize, parties, value ...)
    int line = 0;
};

/// One step a process takes: a verb from the ActionCatalog and its validated fields.
struct Action {
    std::string verb;
    nlohmann::json fields; ///< without "do"; parameter references kept as "$name" strings
    int line = 0;
    std::vector<Action> actions; ///< the nested list of a verb with an Actions field (`repeat`)
};

/// A kind of process: `count` instances run the same actions; "main" is the scenario's own
/// main process. Variant-specific action lists override the common one.
struct ProcessSpec {
    std::string name;
    nlohmann::json count = 1; ///< integer or "$parameter"
    std::vector<Action> actions;
    std::map<Variant, std::vector<Action>> variantActions;
    int line = 0;

    [[nodiscard]] const std::vector<Action>& actionsFor(Variant variant) const;
};

struct Guideline {
    std::string name; ///< the heading in the seed documents ("Joining processes that use queues")
    std::string text;
};

/// One scenario file, validated.
struct Scenario {
    static constexpr int kFormat = 1;
    std::string id;
    std::string title;
    Guideline guideline;
    std::string watchFor;
    std::string hazardDescription;
    std::string fixDescription;
    std::string methodNotes; ///< why the start methods differ, if they do
    std::vector<ParameterSpec> parameters;
    std::vector<ObjectSpec> objects;
    std::vector<ProcessSpec> processes; ///< "main" first
    std::map<Variant, std::map<StartMethod, Outcome>> expected;
    std::string source; ///< the file it came from

    [[nodiscard]] const ParameterSpec* parameter(std::string_view name) const;
    [[nodiscard]] const ObjectSpec* object(std::string_view name) const;
    [[nodiscard]] const ProcessSpec* process(std::string_view name) const;
};

} // namespace forkscope
