#include "export_command.h"

#include "analysis/chrome_trace_exporter.h"
#include "analysis/csv_series_exporter.h"
#include "trace/trace_format_error.h"
#include "trace/trace_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace forkscope::cli {

namespace {

constexpr int kExitBadInput = 2;

/// The temporary output: removed unless commit() renamed it into place.
class PendingOutput {
public:
    explicit PendingOutput(std::filesystem::path target) : target_(std::move(target)) {
        temp_ = target_;
        temp_ += ".tmp";
        stream_.open(temp_, std::ios::binary | std::ios::trunc);
        if (!stream_) {
            throw std::runtime_error("cannot write " + target_.string() + ": " + std::strerror(errno));
        }
    }
    PendingOutput(const PendingOutput&) = delete;
    PendingOutput& operator=(const PendingOutput&) = delete;
    ~PendingOutput() {
        if (!committed_) {
            stream_.close();
            std::error_code ec;
            std::filesystem::remove(temp_, ec);
        }
    }

    std::ostream& stream() { return stream_; }

    void commit() {
        stream_.close();
        if (!stream_) {
            throw std::runtime_error("cannot write " + target_.string() + ": closing " + temp_.string() +
                                     " failed");
        }
        std::error_code ec;
        std::filesystem::rename(temp_, target_, ec);
        if (ec) {
            throw std::runtime_error("cannot write " + target_.string() + ": " + ec.message());
        }
        committed_ = true;
    }

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    std::ofstream stream_;
    bool committed_ = false;
};

} // namespace

CLI::App* addExportCommand(CLI::App& app, ExportOptions& options) {
    auto* command = app.add_subcommand(
        "export",
        "Convert a recorded trace: Chrome Trace Event JSON (open it in ui.perfetto.dev) or CSV series");
    command->add_option("FILE", options.trace, "The .fstrace file")->required();
    command->add_option("--format", options.format, "chrome-json or csv")
        ->required()
        ->check(CLI::IsMember({"chrome-json", "csv"}));
    command->add_option("-o,--output", options.output, "Where to write the export")->required();
    command->add_option("--points", options.points, "CSV: number of time samples")
        ->check(CLI::Range(std::size_t{1}, CsvSeriesExporter::kMaxPoints));
    return command;
}

int runExport(const ExportOptions& options) {
    try {
        // The trace is opened (and its header checked) before OUT is touched.
        TraceReader reader(options.trace);
        PendingOutput output(options.output);
        try {
            if (options.format == "csv") {
                CsvSeriesExporter(reader, options.points).write(output.stream());
            } else {
                ChromeTraceExporter(reader).write(output.stream());
            }
        } catch (const TraceFormatError&) {
            throw;
        } catch (const std::runtime_error& e) {
            throw std::runtime_error("cannot write " + options.output + ": " + e.what());
        }
        output.commit();
        return 0;
    } catch (const TraceFormatError& e) {
        std::cerr << "forkscope-cli: error: " << e.what() << "\n";
    } catch (const std::runtime_error& e) {
        std::cerr << "forkscope-cli: error: " << e.what() << "\n";
    }
    return kExitBadInput;
}

} // namespace forkscope::cli
