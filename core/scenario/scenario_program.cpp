#include "scenario_program.h"

#include "action_interpreter.h"
#include "process/errors.h"
#include "process/start_method.h"
#include "process/task_registry.h"
#include "report_record.h"
#include "scenario_loader.h"

#include <functional>
#include <unistd.h>

namespace forkscope {

namespace {

ParameterValues parseParameters(const std::string& text) {
    ParameterValues values;
    const nlohmann::json object = nlohmann::json::parse(text);
    for (const auto& [key, value] : object.items()) {
        values[key] = value;
    }
    return values;
}

/// Runs `body`; an exception becomes an error record for the host and exit code 1.
void reportingFailures(const RunSpec& spec, const std::function<void()>& body) {
    try {
        body();
    } catch (const SystemExit&) {
        throw;
    } catch (const std::exception& e) {
        ReportRecord{ReportRecord::Kind::Error, spec.processName(), e.what()}.writeTo(spec.report.fd());
        exitProcess(1);
    }
}

void scenarioMainTask(TaskArgs& args) {
    // A process group of its own (the host does the same from its side, so there is no race):
    // every process of the run, whatever starts it, can then be signalled at once.
    (void)::setpgid(0, 0);
    const RunSpec spec = args.get<RunSpec>(0);
    reportingFailures(spec, [&] {
        const Scenario scenario = ScenarioLoader::loadFile(spec.scenarioPath);
        ParameterValues parameters = parseParameters(spec.parametersJson);
        ScenarioObjects objects = ScenarioObjects::createAll(
            scenario, parameters, parseStartMethod(spec.startMethod).value_or(StartMethod::Fork),
            spec.variant == "fix" ? Variant::Fix : Variant::Hazard);
        ActionInterpreter(scenario, spec, std::move(parameters), std::move(objects)).run();
    });
}
FORKSCOPE_TASK(scenarioMainTask);

void scenarioProcessTask(TaskArgs& args) {
    const RunSpec spec = args.get<RunSpec>(0);
    reportingFailures(spec, [&] {
        const Scenario scenario = ScenarioLoader::loadFile(spec.scenarioPath);
        ParameterValues parameters = parseParameters(spec.parametersJson);
        const Variant variant = spec.variant == "fix" ? Variant::Fix : Variant::Hazard;
        const auto names = ScenarioObjects::referencedBy(
            scenario, parameters, scenario.process(spec.processKind)->actionsFor(variant));
        ScenarioObjects objects = ScenarioObjects::fromTaskArgs(scenario, parameters, names, args, 1);
        for (const auto& [name, value] : spec.passedGlobals) {
            scenarioGlobals()[name] = value; // what `def worker(value): ...` would receive
        }
        ActionInterpreter interpreter(scenario, spec, std::move(parameters), std::move(objects));
        if (spec.closureArgument) {
            auto& callback = args.get<std::function<std::int64_t()>>(1 + names.size());
            interpreter.observe("called the closure it was given: it returned " + std::to_string(callback()));
        }
        interpreter.run();
    });
}
FORKSCOPE_TASK(scenarioProcessTask);

} // namespace

void linkScenarioProgram() noexcept {}

} // namespace forkscope
