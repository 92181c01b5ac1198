#include "bench.h"
#include "forkscope_version.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace forkscope::cli {

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

const std::vector<BenchGroup>& benchGroups() {
    static const std::vector<BenchGroup> groups = {
        {"start", &benchStartLatency}, {"pipe", &benchPipe}, {"sync", &benchSync},
        {"queue", &benchQueue},        {"pool", &benchPool}, {"manager", &benchManager},
        {"events", &benchEvents},
    };
    return groups;
}

Figure makeFigure(std::string name, std::string unit, std::string limitWhat, bool lowerIsBetter,
                  double target) {
    Figure figure;
    figure.name = std::move(name);
    figure.unit = std::move(unit);
    figure.limitWhat = std::move(limitWhat);
    figure.lowerIsBetter = lowerIsBetter;
    figure.target = target;
    return figure;
}

Figure measureInterleaved(Figure figure, const BenchOptions& options, const std::function<double()>& engine,
                          const std::function<double()>& limit) {
    engine(); // warm-up: page cache, lazy binding, helper processes
    limit();
    for (int r = 0; r < options.repetitions; ++r) {
        figure.samples.push_back(engine());
        figure.limitSamples.push_back(limit());
    }
    figure.value = median(figure.samples);
    figure.limit = median(figure.limitSamples);
    return figure;
}

long scaled(long count, double scale) {
    return std::max(1L, static_cast<long>(static_cast<double>(count) * scale));
}

namespace {
std::string cpuModel() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            return colon == std::string::npos ? line : line.substr(colon + 2);
        }
    }
    return "unknown";
}

double ratioOf(const Figure& f) {
    if (f.limit <= 0 || f.value <= 0) {
        return 0;
    }
    return f.value / f.limit;
}

bool meetsTarget(const Figure& f) {
    const double ratio = ratioOf(f);
    const bool ratioMet = f.target <= 0 || (f.lowerIsBetter ? ratio <= f.target : ratio >= f.target);
    const bool valueMet = f.valueMax <= 0 || f.value <= f.valueMax;
    return ratio > 0 && ratioMet && valueMet;
}
} // namespace

nlohmann::json toJson(const std::vector<Figure>& figures, const BenchOptions& options) {
    utsname host{};
    ::uname(&host);
    nlohmann::json out;
    out["forkscope_version"] = FORKSCOPE_VERSION;
    out["host"] = {{"kernel", std::string(host.release)},
                   {"machine", std::string(host.machine)},
                   {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
                   {"cpu_model", cpuModel()}};
    out["repetitions"] = options.repetitions;
    out["scale"] = options.scale;
    nlohmann::json map = nlohmann::json::object();
    for (const Figure& f : figures) {
        map[f.name] = {{"value", f.value},
                       {"unit", f.unit},
                       {"limit", f.limit},
                       {"limit_what", f.limitWhat},
                       {"ratio_to_limit", ratioOf(f)},
                       {"ratio_target", f.target},
                       {"meets_target", meetsTarget(f)},
                       {"lower_is_better", f.lowerIsBetter},
                       {"samples", f.samples},
                       {"limit_samples", f.limitSamples}};
        if (f.valueMax > 0) {
            map[f.name]["value_max"] = f.valueMax;
        }
    }
    out["figures"] = map;
    return out;
}

namespace {
/// The target column: the ratio asked for, or the absolute bound on the value (valueMax), or a
/// dash for a figure measured for comparison only ("0.00x" read as a target of zero).
std::string targetText(const Figure& f) {
    char bound[24] = "-";
    if (f.target > 0) {
        std::snprintf(bound, sizeof bound, "%.2fx", f.target);
    } else if (f.valueMax > 0) {
        std::snprintf(bound, sizeof bound, "<=%g %s", f.valueMax, f.unit.c_str());
    }
    char text[32];
    std::snprintf(text, sizeof text, "%8s", bound);
    return text;
}
} // namespace

std::string toText(const std::vector<Figure>& figures) {
    std::string text;
    char line[256];
    std::snprintf(line, sizeof line, "%-32s %14s %14s %8s %8s  %s\n", "figure", "value", "limit", "ratio",
                  "target", "limit measures");
    text += line;
    for (const Figure& f : figures) {
        // The description goes after the fixed-width columns, not through the buffer: a long one
        // was cut at the buffer's end with its newline, running two figures into one line.
        std::snprintf(line, sizeof line, "%-32s %11.1f %-2s %11.1f %-2s %7.2fx ", f.name.c_str(), f.value,
                      f.unit.c_str(), f.limit, f.unit.c_str(), ratioOf(f));
        text += line;
        text += targetText(f);
        text += "  ";
        text += f.limitWhat;
        text += '\n';
    }
    return text;
}

} // namespace forkscope::cli
