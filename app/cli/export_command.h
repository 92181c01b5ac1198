#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

namespace forkscope::cli {

/// `forkscope-cli export FILE --format chrome-json|csv -o OUT [--points N]`.
struct ExportOptions {
    std::string trace;
    std::string format;
    std::string output;
    std::size_t points = 1000;
};

/// Registers the subcommand on `app`; the parsed values land in `options`.
CLI::App* addExportCommand(CLI::App& app, ExportOptions& options);

/// Writes OUT.tmp and renames it to OUT once complete, so a failed export never leaves a partial
/// OUT (an existing OUT is left as it was). Returns 0, or 2 with one line on stderr naming the
/// file and the problem (missing or damaged trace, unwritable output).
int runExport(const ExportOptions& options);

} // namespace forkscope::cli
