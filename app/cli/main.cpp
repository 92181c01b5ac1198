// forkscope-cli: list, run, replay and measure multiprocessing scenarios without a display.
#include "bench.h"
#include "export_command.h"
#include "forkscope_version.h"
#include "process/entry_guard.h"
#include "scenario_commands.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace {

constexpr int kExitBadInput = 2;

int runBench(bool json, const forkscope::cli::BenchOptions& options) {
    std::vector<forkscope::cli::Figure> figures;
    for (const auto& group : forkscope::cli::benchGroups()) {
        if (options.only.empty() || options.only == group.name) {
            for (auto& figure : group.run(options)) {
                figures.push_back(std::move(figure));
            }
        }
    }
    if (json) {
        std::cout << forkscope::cli::toJson(figures, options).dump(2) << "\n";
    } else {
        std::cout << forkscope::cli::toText(figures);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // The entry guard comes first: in a spawned child or the forkserver it never returns.
    forkscope::freezeSupport(argc, argv);

    CLI::App app{"Run, record and measure multiprocessing scenarios with real processes.", "forkscope-cli"};
    app.set_version_flag("--version", std::string("forkscope-cli ") + FORKSCOPE_VERSION);
    app.require_subcommand(0, 1);

    const auto scenarioCommands = forkscope::cli::addScenarioCommands(app);

    bool benchJson = false;
    forkscope::cli::BenchOptions benchOptions;
    auto* bench = app.add_subcommand("bench", "Measure the engine against the raw OS limits, in one run");
    bench->add_flag("--json", benchJson, "Print one JSON object instead of a table");
    bench
        ->add_option("--repetitions", benchOptions.repetitions,
                     "Repetitions per figure (the median is reported)")
        ->check(CLI::Range(1, 1000));
    bench->add_option("--scale", benchOptions.scale, "Multiply the operations per repetition")
        ->check(CLI::Range(0.01, 100.0));
    std::vector<std::string> groupNames;
    for (const auto& group : forkscope::cli::benchGroups()) {
        groupNames.emplace_back(group.name);
    }
    bench->add_option("--only", benchOptions.only, "Measure one group of figures")
        ->check(CLI::IsMember(groupNames));

    forkscope::cli::ExportOptions exportOptions;
    auto* exportCommand = forkscope::cli::addExportCommand(app, exportOptions);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return app.exit(e); // --help, --version
        }
        std::cerr << "forkscope-cli: error: " << e.what() << " (see forkscope-cli --help)\n";
        return kExitBadInput;
    }

    try {
        if (scenarioCommands.list->parsed()) {
            return scenarioCommands.runList();
        }
        if (scenarioCommands.run->parsed()) {
            return scenarioCommands.runRun();
        }
        if (scenarioCommands.replay->parsed()) {
            return scenarioCommands.runReplay();
        }
        if (bench->parsed()) {
            return runBench(benchJson, benchOptions);
        }
        if (exportCommand->parsed()) {
            return forkscope::cli::runExport(exportOptions);
        }
        std::cerr << "forkscope-cli: error: a command is required (list, run, replay, export, bench; see "
                     "forkscope-cli --help)\n";
        return kExitBadInput;
    } catch (const std::exception& e) {
        std::cerr << "forkscope-cli: " << e.what() << "\n";
        return 1;
    }
}
