#include "scenario_loader_fuzz.h"

#include "fuzz_property_error.h"
#include "scenario/action_catalog.h"
#include "scenario/scenario_loader.h"

#include <algorithm>
#include <string>

namespace forkscope {
namespace {

constexpr const char* kSource = "fuzz.json";

void require(bool condition, const std::string& promise) {
    if (!condition) {
        throw FuzzPropertyError("ScenarioLoader: " + promise);
    }
}

/// Evaluates the integer and boolean fields of `fields` the way the runner will.
void evaluateFields(const std::vector<ActionCatalog::Field>& catalog, const nlohmann::json& fields,
                    const ParameterValues& parameters, const std::string& where) {
    for (const auto& field : catalog) {
        if (!fields.is_object() || !fields.contains(field.name)) {
            continue;
        }
        const nlohmann::json& value = fields.at(field.name);
        try {
            if (field.type == ActionCatalog::FieldType::Integer) {
                (void)ScenarioLoader::integerField(value, parameters);
            } else if (field.type == ActionCatalog::FieldType::Boolean) {
                (void)ScenarioLoader::booleanField(value, parameters);
            }
        } catch (const std::exception& e) {
            require(false, "accepted " + where + "/" + field.name + " = " + value.dump() +
                               " but cannot evaluate it: " + e.what());
        }
    }
}

void evaluateScenario(const Scenario& scenario) {
    ParameterValues parameters;
    try {
        parameters = ScenarioLoader::resolveParameters(scenario, {});
    } catch (const ScenarioError& e) {
        require(false, std::string("accepted a scenario whose defaults do not resolve: ") + e.what());
    }
    for (const auto& object : scenario.objects) {
        const ActionCatalog::ObjectKind* kind = ActionCatalog::objectKind(object.kind);
        require(kind != nullptr,
                "accepted object '" + object.name + "' of unknown kind '" + object.kind + "'");
        evaluateFields(kind->options, object.options, parameters, "/objects/" + object.name);
    }
    for (const auto& process : scenario.processes) {
        try {
            (void)ScenarioLoader::integerField(process.count, parameters);
        } catch (const std::exception& e) {
            require(false,
                    "accepted the count of '" + process.name + "' but cannot evaluate it: " + e.what());
        }
        auto evaluateActions = [&](const std::vector<Action>& actions) {
            for (const auto& action : actions) {
                const ActionCatalog::Verb* verb = ActionCatalog::verb(action.verb);
                require(verb != nullptr, "accepted unknown action '" + action.verb + "'");
                evaluateFields(verb->fields, action.fields, parameters, "/processes/" + process.name);
            }
        };
        evaluateActions(process.actions);
        for (const auto& [variant, actions] : process.variantActions) {
            evaluateActions(actions);
        }
    }
    require(!scenario.processes.empty() && scenario.processes.front().name == "main",
            "accepted a scenario whose first process is not main");
}

} // namespace

int fuzzScenarioLoader(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    Scenario scenario;
    try {
        scenario = ScenarioLoader::loadText(text, kSource);
    } catch (const ScenarioError& e) {
        require(e.file() == kSource, "an error names the file it is about");
        const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
        require(e.line() >= 0 && e.line() <= lines, "an error's line " + std::to_string(e.line()) +
                                                        " lies inside the text (" + std::to_string(lines) +
                                                        " lines)");
        require(std::string(e.what()).find(kSource) != std::string::npos, "an error message names the file");
        return 0;
    }
    evaluateScenario(scenario);
    return 0;
}

} // namespace forkscope
