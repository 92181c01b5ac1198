#include "run_session.h"

#include "events/emit.h"
#include "events/monitor.h"
#include "process/context.h"
#include "process/errors.h"
#include "process/unique_fd.h"
#include "process_sweeper.h"
#include "scenario/report_record.h"
#include "scenario/run_spec.h"
#include "scenario/scenario_program.h"
#include "session/live_sink.h"
#include "trace/trace_writer.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/prctl.h>
#include <unistd.h>

namespace forkscope {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kMainFailureGrace{500};

struct PipePair {
    UniqueFd read;
    UniqueFd write;
};

PipePair makeHostPipe(const char* what) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OsError(std::string("pipe for the run's ") + what, errno);
    }
    // The host only ever reads what is there: it must never wait on a scenario process.
    (void)::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return PipePair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

/// Reads what is there without blocking; false at end of file (or on an error).
bool drainInto(int fd, std::string& buffer) {
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n > 0) {
            buffer.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n < 0 && errno == EAGAIN;
    }
}

void collectPrinted(const std::vector<Action>& actions, std::set<std::string>& texts) {
    for (const Action& a : actions) {
        if (a.verb == "print" && a.fields.contains("text")) {
            texts.insert(a.fields.at("text").get<std::string>());
        }
        collectPrinted(a.actions, texts);
    }
}

std::set<std::string> printedLines(const Scenario& scenario) {
    std::set<std::string> texts;
    for (const ProcessSpec& p : scenario.processes) {
        collectPrinted(p.actions, texts);
        for (const auto& [variant, actions] : p.variantActions) {
            collectPrinted(actions, texts);
        }
    }
    return texts;
}

/// What the processes wrote to the shared output: for `print`, how many lines and how many of
/// them are not one process's whole line; for any output, which lines appear more than once
/// (the same data written by several processes, e.g. a buffer flushed in each fork child).
std::vector<std::string> describeOutput(const Scenario& scenario, const std::string& output) {
    std::vector<std::string> observations;
    std::vector<std::string> order;
    std::map<std::string, int> counts;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (counts[line]++ == 0) {
            order.push_back(line);
        }
    }
    const auto texts = printedLines(scenario);
    if (!texts.empty()) {
        int lines = 0;
        int mixed = 0;
        for (const auto& [line, count] : counts) {
            const auto colon = line.find(": ");
            const bool whole = colon != std::string::npos && texts.count(line.substr(colon + 2)) != 0 &&
                               line.find(' ') > colon;
            lines += count;
            mixed += whole ? 0 : count;
        }
        observations.push_back(std::to_string(lines) + std::string(lines == 1 ? " line" : " lines") +
                               " printed, " + std::to_string(mixed) +
                               " garbled (pieces of different processes' lines run into each other)");
    } else {
        // print's lines repeat by design (`lines`); other output that repeats is data that
        // more than one process wrote out.
        int repeated = 0;
        int extra = 0;
        std::string examples;
        for (const std::string& line : order) {
            const int count = counts[line];
            if (count < 2) {
                continue;
            }
            repeated += 1;
            extra += count - 1;
            if (repeated <= 3) {
                examples += (examples.empty() ? "" : ", ") +
                            ("'" + line.substr(0, 60) + "' x" + std::to_string(count));
            }
        }
        if (!output.empty()) {
            observations.push_back(std::to_string(order.size()) + " distinct lines in the output, " +
                                   std::to_string(repeated) + " of them written more than once (" +
                                   std::to_string(extra) + " duplicate lines" +
                                   (examples.empty() ? std::string(")") : ": " + examples + ")"));
        }
    }
    return observations;
}

std::string signalName(int signal) {
    const char* name = ::sigabbrev_np(signal);
    return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(signal);
}

/// "was ended by signal 9 (SIGKILL)" or "exited with code 3".
std::string howItEnded(std::int64_t exitCode) {
    if (exitCode < 0) {
        const int signal = static_cast<int>(-exitCode);
        return "was ended by signal " + std::to_string(signal) + " (" + signalName(signal) + ")";
    }
    return "exited with code " + std::to_string(exitCode);
}

/// What the survivors of a run see when one of the engine's helpers dies under them.
std::string describeHelperLoss(const RunMetrics::HelperLoss& loss) {
    const std::string who = "the " + std::string(helperRoleWord(loss.role)) + " (pid " +
                            std::to_string(loss.pid) + ") " + howItEnded(loss.exitCode) + " during the run";
    switch (loss.role) {
    case HelperRole::Forkserver:
        return who +
               ": the processes it had forked and that were still running ended with it, and joining them "
               "gave exit code 255 (Python's code for a status the forkserver could not send); the next "
               "start would have started a new forkserver";
    case HelperRole::ManagerServer:
        return who + ": every call through its proxies fails from then on";
    case HelperRole::ResourceTracker:
        return who +
               ": the next segment or semaphore created starts a new one, which is told of those still in "
               "use";
    case HelperRole::Unknown:
        break;
    }
    return who;
}

} // namespace

RunSession::RunSession(Scenario scenario, RunOptions options)
    : scenario_(std::move(scenario)), options_(std::move(options)) {}

RunSummary RunSession::run() {
    linkScenarioProgram();
    RunSummary summary;
    summary.scenario = scenario_.id;
    summary.startMethod = std::string(toString(options_.startMethod));
    summary.variant = std::string(toString(options_.variant));
    if (auto v = scenario_.expected.find(options_.variant); v != scenario_.expected.end()) {
        if (auto m = v->second.find(options_.startMethod); m != v->second.end()) {
            summary.expectedOutcome = m->second;
        }
    }
    nlohmann::json parameters = nlohmann::json::object();
    for (const auto& [key, value] : options_.parameters) {
        parameters[key] = value;
    }

    const ProcessSweeper::Footprint before = ProcessSweeper::footprint();
    // Orphans of the run (a worker whose main was killed) come back to us to be reaped.
    int wasSubreaper = 0;
    (void)::prctl(PR_GET_CHILD_SUBREAPER, &wasSubreaper);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);

    std::unique_ptr<TraceWriter> writer;
    int writerFds = 0;
    if (options_.record) {
        TraceMeta meta;
        meta.scenario = scenario_.id;
        meta.parameters = parameters.dump();
        meta.startMethod = summary.startMethod;
        meta.extra["variant"] = summary.variant;
        writer = std::make_unique<TraceWriter>(*options_.record, meta);
        writerFds = ProcessSweeper::footprint().fds - before.fds; // the recording's own, closed at the end
        summary.trace = std::filesystem::absolute(*options_.record).string();
    }
    LiveSink sink(writer.get());
    std::string reportBuffer;
    std::string output;
    std::vector<ReportRecord> records;
    const auto started = Clock::now();
    std::optional<Diagnosis> diagnosis;
    std::uint64_t diagnosisSeq = 0;
    std::int64_t teardownNs = 0;
    bool timedOut = false;
    std::optional<int> mainExit;
    {
        Monitor monitor(sink);
        PipePair report = makeHostPipe("reports");
        PipePair out = makeHostPipe("output");
        RunSpec spec;
        spec.scenarioPath = std::filesystem::absolute(scenario_.source).string();
        spec.variant = summary.variant;
        spec.parametersJson = parameters.dump();
        spec.startMethod = summary.startMethod;
        spec.processKind = "main";
        spec.report = FdHandle(report.write.get());
        spec.output = FdHandle(out.write.get());
        Process main = getContext(StartMethod::Fork)
                           .process("scenarioMainTask", {named("spec", spec)}, ProcessOptions{"main", false});
        main.start();
        const pid_t group = main.pid().value_or(0);
        (void)::setpgid(group, group); // main does the same: whichever runs first wins the race
        report.write.reset();
        out.write.reset();

        std::uint64_t lastSeq = 0;
        auto lastChange = Clock::now();
        bool reportOpen = true;
        std::optional<Clock::time_point> mainFailedAt;
        bool outputOpen = true;
        for (;;) {
            pollfd fds[2] = {{reportOpen ? report.read.get() : -1, POLLIN, 0},
                             {outputOpen ? out.read.get() : -1, POLLIN, 0}};
            (void)::poll(fds, 2, 20);
            if (reportOpen && (fds[0].revents & (POLLIN | POLLHUP)) != 0) {
                reportOpen = drainInto(report.read.get(), reportBuffer);
                for (auto& r : ReportRecord::takeLines(reportBuffer)) {
                    if (r.kind == ReportRecord::Kind::Error && r.process == "main" && !mainFailedAt) {
                        mainFailedAt = Clock::now();
                    }
                    records.push_back(std::move(r));
                }
            }
            if (outputOpen && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
                outputOpen = drainInto(out.read.get(), output);
            }
            if (!main.isAlive()) {
                mainExit = main.exitCode().value_or(-1);
                break;
            }
            const auto now = Clock::now();
            if (now - started > options_.timeout) {
                timedOut = true;
                break;
            }
            // Main failed and is ending, but ending joins its children (as Python's exit does),
            // and a child blocked on something main will no longer do keeps it alive: the run
            // has failed with main's error, so it is torn down rather than waited for.
            if (mainFailedAt && now - *mainFailedAt > kMainFailureGrace) {
                break;
            }
            const auto snapshot = sink.snapshot();
            if (snapshot.state.seq != lastSeq) {
                lastSeq = snapshot.state.seq;
                lastChange = now;
                continue;
            }
            if (now - lastChange < options_.quietBeforeDiagnosis) {
                continue;
            }
            WaitForGraph::Input input{&snapshot.state, {}, snapshot.objects};
            for (const auto& [pid, info] : snapshot.processes) {
                input.processNames[pid] = info.name;
            }
            diagnosis = Diagnosis::diagnose(input);
            if (diagnosis) {
                diagnosisSeq = snapshot.state.seq;
                break;
            }
        }
        teardownNs = trace::monotonicNs();
        if (!mainExit) {
            ProcessSweeper::teardown(group, std::chrono::milliseconds(3000), group);
            main.join(3.0); // collects main's status (and emits its reap)
        } else {
            // Main ended by itself; anything of the run still alive is an orphan to end too.
            ProcessSweeper::teardown(group, std::chrono::milliseconds(1000), group);
        }
        ProcessSweeper::reapFinished();
        (void)drainInto(report.read.get(), reportBuffer);
        for (auto& r : ReportRecord::takeLines(reportBuffer)) {
            records.push_back(std::move(r));
        }
        (void)drainInto(out.read.get(), output);
        monitor.flush();
        monitor.stop();
        main.close();
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, wasSubreaper);
    summary.durationMs = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

    const auto finalState = sink.snapshot();
    summary.metrics = finalState.metrics.toJson();
    summary.processes = RunSummary::processesFrom(finalState.state, finalState.processes, finalState.metrics,
                                                  finalState.state.ts);
    for (const auto& r : records) {
        if (r.kind == ReportRecord::Kind::Error && !summary.error) {
            summary.error = r.process + ": " + r.text;
        } else if (r.kind != ReportRecord::Kind::Error) {
            summary.observations.push_back(r.process + " " + r.text);
        }
    }
    for (const auto& p : summary.processes) {
        if (p.exitCode && *p.exitCode < 0) {
            summary.observations.push_back(p.name + " " + howItEnded(*p.exitCode));
        }
    }
    for (const auto& loss : finalState.metrics.helperLosses()) {
        summary.observations.push_back(describeHelperLoss(loss));
    }
    for (std::string& line : describeOutput(scenario_, output)) {
        summary.observations.push_back(std::move(line));
    }
    if (!mainExit) {
        summary.observations.push_back("the host tore the run down: SIGKILL to every process left in it");
    }
    if (diagnosis) {
        summary.outcome = diagnosis->outcome;
        summary.diagnosis = std::move(diagnosis);
    } else if (timedOut) {
        summary.outcome = Outcome::Timeout;
    } else if (summary.error || (mainExit && *mainExit != 0)) {
        summary.outcome = Outcome::Error;
        if (!summary.error) {
            summary.error = "main ended with exit code " + std::to_string(*mainExit);
        }
    } else {
        summary.outcome = Outcome::Completed;
    }

    // What is left now is what the run leaked; a killed run's segments and sockets are
    // reclaimed first (that is the host's job, as the resource tracker's would be) and listed.
    const auto reclaimed =
        mainExit && !diagnosis ? std::vector<std::string>{} : ProcessSweeper::reclaim(before);
    summary.reclaimed = {{"paths", reclaimed}};
    const ProcessSweeper::Footprint after = ProcessSweeper::footprint();
    for (const std::string& name : after.shm) {
        if (before.shm.count(name) == 0) {
            (name.rfind("sem.", 0) == 0 ? summary.leaks.semaphores : summary.leaks.shmSegments) += 1;
        }
    }
    summary.leaks.processes = 0;
    for (const auto& p : summary.processes) {
        if (::kill(p.pid, 0) == 0) {
            summary.leaks.processes += 1;
        }
    }
    summary.leaks.fds = std::max(0, after.fds - before.fds - writerFds);

    if (writer) {
        writer->setMeta("outcome", std::string(toString(summary.outcome)));
        writer->setMeta("teardown_ns", std::to_string(teardownNs));
        if (summary.diagnosis) {
            writer->setMeta("diagnosis", summary.diagnosis->toJson().dump());
            writer->setMeta("diagnosis_seq", std::to_string(diagnosisSeq));
        }
        writer->setMeta("summary", summary.toJson().dump());
        writer->finish();
        writer.reset();
        summary.leaks.fds = std::max(0, ProcessSweeper::footprint().fds - before.fds);
    }
    return summary;
}

} // namespace forkscope
