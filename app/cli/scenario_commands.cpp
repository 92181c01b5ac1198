// list, run and replay: the scenario library from the command line, and the session host the
// GUI starts.
#include "scenario_commands.h"

#include "scenario/scenario_library.h"
#include "scenario/scenario_loader.h"
#include "session/run_session.h"
#include "trace/trace_format_error.h"
#include "trace/trace_reader.h"

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

namespace forkscope::cli {

namespace {

constexpr int kExitBadInput = 2;

nlohmann::json scenarioJson(const Scenario& s) {
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& p : s.parameters) {
        const char* type = p.type == ParameterSpec::Type::Integer   ? "integer"
                           : p.type == ParameterSpec::Type::Boolean ? "boolean"
                                                                    : "string";
        parameters.push_back({{"name", p.name},
                              {"type", type},
                              {"default", p.defaultValue},
                              {"min", p.minimum ? nlohmann::json(*p.minimum) : nlohmann::json(nullptr)},
                              {"max", p.maximum ? nlohmann::json(*p.maximum) : nlohmann::json(nullptr)},
                              {"unit", p.unit},
                              {"description", p.description}});
    }
    nlohmann::json expected = nlohmann::json::object();
    for (const auto& [variant, methods] : s.expected) {
        for (const auto& [method, outcome] : methods) {
            expected[std::string(toString(variant))][std::string(toString(method))] = toString(outcome);
        }
    }
    return {{"id", s.id},
            {"title", s.title},
            {"guideline", {{"name", s.guideline.name}, {"text", s.guideline.text}}},
            {"watch_for", s.watchFor},
            {"hazard", s.hazardDescription},
            {"fix", s.fixDescription},
            {"method_notes", s.methodNotes},
            {"source", s.source},
            {"parameters", parameters},
            {"expected", expected}};
}

struct RunArguments {
    std::string scenario;
    std::string startMethod = "fork";
    bool fix = false;
    std::vector<std::string> sets;
    std::string record;
    double timeoutSeconds = 15.0;
    bool json = false;
};

int printSummary(const RunSummary& summary, bool json) {
    if (json) {
        std::cout << summary.toJson().dump(2) << "\n";
    } else {
        std::cout << summary.toText();
    }
    return summary.expectedOutcome && *summary.expectedOutcome != summary.outcome ? 1 : 0;
}

} // namespace

ScenarioCommands addScenarioCommands(CLI::App& app) {
    ScenarioCommands c;
    auto listJson = std::make_shared<bool>(false);
    c.list = app.add_subcommand("list", "List the available scenarios");
    c.list->add_flag("--json", *listJson, "Print one JSON object instead of text");
    c.runList = [listJson] {
        const auto scenarios = ScenarioLibrary::loadAll();
        if (*listJson) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& s : scenarios) {
                list.push_back(scenarioJson(s));
            }
            std::cout << nlohmann::json{{"scenarios", list}}.dump(2) << "\n";
        } else {
            for (const auto& s : scenarios) {
                std::cout << s.id << std::string(s.id.size() < 28 ? 28 - s.id.size() : 1, ' ') << s.title
                          << "\n"
                          << std::string(28, ' ') << "guideline: " << s.guideline.name << "\n";
            }
        }
        return 0;
    };

    auto args = std::make_shared<RunArguments>();
    c.run = app.add_subcommand("run", "Run a scenario with real processes, diagnose it, and tear it down");
    c.run->add_option("scenario", args->scenario, "A built-in scenario id (see list) or a scenario file")
        ->required();
    c.run->add_option("--start-method", args->startMethod, "How main starts its children")
        ->check(CLI::IsMember({"fork", "spawn", "forkserver"}));
    c.run->add_flag("--fix", args->fix, "Run the fix variant instead of the hazard");
    c.run->add_option("--set", args->sets, "Set a parameter: KEY=VALUE (repeatable)");
    c.run->add_option("--record", args->record, "Record the run to this .fstrace file (must not exist)");
    c.run->add_option("--timeout", args->timeoutSeconds, "Give up (outcome: timeout) after this many seconds")
        ->check(CLI::Range(0.1, 3600.0));
    c.run->add_flag("--json", args->json, "Print one JSON object instead of text");
    c.runRun = [args]() -> int {
        Scenario scenario;
        RunOptions options;
        try {
            scenario = ScenarioLibrary::load(args->scenario);
            std::map<std::string, std::string> overrides;
            for (const std::string& set : args->sets) {
                const auto eq = set.find('=');
                if (eq == std::string::npos || eq == 0) {
                    throw ScenarioError(scenario.source, 0, "--set", "'" + set + "' is not KEY=VALUE");
                }
                overrides[set.substr(0, eq)] = set.substr(eq + 1);
            }
            options.parameters = ScenarioLoader::resolveParameters(scenario, overrides);
        } catch (const ScenarioError& e) {
            std::cerr << "forkscope-cli: error: " << e.what() << "\n";
            return kExitBadInput;
        }
        if (!args->record.empty()) {
            std::error_code ec;
            if (std::filesystem::exists(args->record, ec)) {
                std::cerr << "forkscope-cli: error: " << args->record
                          << ": already exists (a recording is never overwritten)\n";
                return kExitBadInput;
            }
            options.record = args->record;
        }
        options.variant = args->fix ? Variant::Fix : Variant::Hazard;
        options.startMethod = *parseStartMethod(args->startMethod);
        options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args->timeoutSeconds * 1000));
        return printSummary(RunSession(std::move(scenario), std::move(options)).run(), args->json);
    };

    auto replayFile = std::make_shared<std::string>();
    auto replayJson = std::make_shared<bool>(false);
    c.replay = app.add_subcommand("replay", "Print a recorded run's summary, recomputed from the recording");
    c.replay->add_option("file", *replayFile, "A .fstrace recording")->required();
    c.replay->add_flag("--json", *replayJson, "Print one JSON object instead of text");
    c.runReplay = [replayFile, replayJson]() -> int {
        try {
            TraceReader reader(*replayFile);
            return printSummary(RunSummary::replay(reader), *replayJson);
        } catch (const TraceFormatError& e) {
            std::cerr << "forkscope-cli: error: " << e.what() << "\n";
            return kExitBadInput;
        }
    };
    return c;
}

} // namespace forkscope::cli
