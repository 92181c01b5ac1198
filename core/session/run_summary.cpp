#include "run_summary.h"

#include "process/start_method.h"
#include "trace/state_model.h"
#include "trace/trace_format_error.h"
#include "trace/trace_reader.h"

#include <sstream>

namespace forkscope {

namespace {

nlohmann::json optionalString(const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string methodName(std::int32_t method) {
    if (method < 0) {
        return "host";
    }
    return std::string(toString(static_cast<StartMethod>(method)));
}

} // namespace

nlohmann::json RunSummary::toJson() const {
    nlohmann::json processList = nlohmann::json::array();
    for (const auto& p : processes) {
        processList.push_back(
            {{"name", p.name},
             {"pid", p.pid},
             {"start_method", p.startMethod},
             {"exitcode", p.exitCode ? nlohmann::json(*p.exitCode) : nlohmann::json(nullptr)},
             {"zombie_ms", p.zombieMs}});
    }
    return {{"scenario", scenario},
            {"start_method", startMethod},
            {"variant", variant},
            {"outcome", toString(outcome)},
            {"expected_outcome",
             expectedOutcome ? nlohmann::json(toString(*expectedOutcome)) : nlohmann::json(nullptr)},
            {"error", optionalString(error)},
            {"diagnosis", diagnosis ? diagnosis->toJson() : nlohmann::json(nullptr)},
            {"processes", processList},
            {"metrics", metrics},
            {"observations", observations},
            {"leaks",
             {{"processes", leaks.processes},
              {"shm_segments", leaks.shmSegments},
              {"semaphores", leaks.semaphores},
              {"fds", leaks.fds}}},
            {"reclaimed", reclaimed},
            {"trace", optionalString(trace)},
            {"duration_ms", durationMs}};
}

std::string RunSummary::toText() const {
    std::ostringstream out;
    out << scenario << " (" << variant << ", " << startMethod << "): " << toString(outcome);
    if (expectedOutcome) {
        out << (*expectedOutcome == outcome ? " — as expected"
                                            : " — expected " + std::string(toString(*expectedOutcome)));
    }
    out << " in " << static_cast<long long>(durationMs) << " ms\n";
    if (error) {
        out << "error: " << *error << "\n";
    }
    if (diagnosis) {
        out << "\n" << diagnosis->kind << " — guideline: " << diagnosis->guideline << "\n";
        for (const auto& clause : diagnosis->chain) {
            out << "  • " << clause << "\n";
        }
        out << "  why: " << diagnosis->explanation << "\n  fix: " << diagnosis->fix << "\n";
    }
    if (!observations.empty()) {
        out << "\nobserved:\n";
        for (const auto& o : observations) {
            out << "  " << o << "\n";
        }
    }
    out << "\nprocesses:\n";
    for (const auto& p : processes) {
        out << "  " << p.name << " (pid " << p.pid << ", " << p.startMethod << "): ";
        out << (p.exitCode ? "exit code " + std::to_string(*p.exitCode)
                           : std::string("killed by the teardown"));
        if (p.zombieMs > 0.0) {
            out << ", zombie for " << static_cast<long long>(p.zombieMs) << " ms";
        }
        out << "\n";
    }
    out << "\nmetrics: " << metrics.dump() << "\n";
    out << "leaks: processes " << leaks.processes << ", shm segments " << leaks.shmSegments << ", semaphores "
        << leaks.semaphores << ", fds " << leaks.fds << "\n";
    if (trace) {
        out << "trace: " << *trace << "\n";
    }
    return out.str();
}

std::vector<RunSummary::ProcessEntry>
RunSummary::processesFrom(const SystemState& state, const std::map<std::int32_t, ProcessInfo>& infos,
                          const RunMetrics& metrics, std::int64_t endNs) {
    std::vector<ProcessEntry> entries;
    for (const auto& [pid, info] : infos) {
        if (info.startMethod < 0) {
            continue; // the session host
        }
        ProcessEntry entry{info.name, pid, methodName(info.startMethod), std::nullopt,
                           metrics.zombieMs(pid, endNs)};
        if (auto it = state.processes.find(pid); it != state.processes.end() && it->second.exitKnown) {
            entry.exitCode = it->second.exitCode;
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

RunSummary RunSummary::replay(TraceReader& reader) {
    auto meta = reader.meta();
    if (meta.count("summary") == 0) {
        throw TraceFormatError(reader.name() +
                               ": not the recording of a run (no run summary in its meta table)");
    }
    const auto recorded = nlohmann::json::parse(meta.at("summary"), nullptr, false);
    if (recorded.is_discarded() || !recorded.is_object()) {
        throw TraceFormatError(reader.name() + ": the run summary in its meta table is not valid JSON");
    }
    RunSummary s;
    s.scenario = recorded.value("scenario", "");
    s.startMethod = recorded.value("start_method", "");
    s.variant = recorded.value("variant", "");
    s.outcome = parseOutcome(recorded.value("outcome", "")).value_or(Outcome::Error);
    if (recorded.contains("expected_outcome") && recorded["expected_outcome"].is_string()) {
        s.expectedOutcome = parseOutcome(recorded["expected_outcome"].get<std::string>());
    }
    if (recorded.contains("error") && recorded["error"].is_string()) {
        s.error = recorded["error"].get<std::string>();
    }
    s.observations = recorded.value("observations", std::vector<std::string>{});
    if (recorded.contains("leaks") && recorded["leaks"].is_object()) {
        const auto& l = recorded["leaks"];
        s.leaks = Leaks{l.value("processes", 0), l.value("shm_segments", 0), l.value("semaphores", 0),
                        l.value("fds", 0)};
    }
    s.reclaimed = recorded.value("reclaimed", nlohmann::json::object());
    s.durationMs = recorded.value("duration_ms", 0.0);
    s.trace = reader.name();

    // Everything the events can tell is recomputed from them, with the code the live run used.
    const std::uint64_t diagnosedAt =
        meta.count("diagnosis_seq") != 0 ? std::stoull(meta.at("diagnosis_seq")) : 0;
    StateModel model;
    RunMetrics metrics;
    std::optional<SystemState> atDiagnosis;
    reader.forEachEvent(0, std::numeric_limits<std::int64_t>::max(), [&](std::uint64_t seq, const Event& e) {
        metrics.add(e, model.apply(e, seq), model.state());
        if (seq == diagnosedAt) {
            atDiagnosis = model.state();
        }
        return true;
    });
    std::uint64_t dropped = 0;
    for (const auto& [pid, n] : reader.drops()) {
        dropped += n;
    }
    metrics.setDropped(dropped);
    std::map<std::int32_t, ProcessInfo> infos;
    for (auto& p : reader.processes()) {
        infos[p.pid] = p;
    }
    std::map<std::uint64_t, ObjectInfo> objects;
    for (auto& o : reader.objects()) {
        objects[o.id] = o;
    }
    s.metrics = metrics.toJson();
    s.processes = processesFrom(model.state(), infos, metrics, model.state().ts);
    if (atDiagnosis) {
        WaitForGraph::Input input{&*atDiagnosis, {}, objects};
        for (const auto& [pid, info] : infos) {
            input.processNames[pid] = info.name;
        }
        s.diagnosis = Diagnosis::diagnose(input);
        if (s.diagnosis) {
            s.outcome = s.diagnosis->outcome;
        }
    }
    return s;
}

} // namespace forkscope
