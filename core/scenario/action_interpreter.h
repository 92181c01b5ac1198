#pragma once

#include "process/process.h"
#include "run_spec.h"
#include "scenario.h"
#include "scenario_loader.h"
#include "scenario_objects.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace forkscope {

/// Plays one scenario process's part: runs its actions, in order, with the real primitives.
///
/// Every action is what the scenario says and nothing more: a `put` is a Queue::putBytes of
/// that many bytes, a `join` is Process::join. The hazard therefore happens, or does not,
/// for the same reasons it would in a Python program, and the trace shows why. What a process
/// observes (the value of a global, a lost update, a recovered lock) goes to the host as a
/// report record; an exception ends the process with a report of what failed and where.
class ActionInterpreter {
public:
    ActionInterpreter(const Scenario& scenario, RunSpec spec, ParameterValues parameters,
                      ScenarioObjects objects);
    ActionInterpreter(const ActionInterpreter&) = delete;
    ActionInterpreter& operator=(const ActionInterpreter&) = delete;
    ~ActionInterpreter();

    /// Runs this process's actions for the spec's variant.
    void run();

    /// Reports an observation to the host.
    void observe(const std::string& text) const;

private:
    void perform(const Action& action);
    void startKind(const Action& action);
    std::vector<Process>& instances(const std::string& kind);
    [[nodiscard]] std::int64_t integer(const Action& action, const char* field, std::int64_t fallback) const;
    [[nodiscard]] bool boolean(const Action& action, const char* field, bool fallback) const;
    [[nodiscard]] std::string text(const Action& action, const char* field) const;
    void lockObject(const std::string& name, std::int64_t timeoutMs);
    void unlockObject(const std::string& name);
    /// Runs body holding `lock` (an object name; empty: no lock), released even on an exception.
    void underLock(const std::string& lock, const std::function<void()>& body);
    void print(const Action& action);
    void holdInThread(const std::string& name);
    void proxyCall(const Action& action);
    void runUnguardedProgram(bool guarded);
    void reportStartLatency();

    const Scenario& scenario_;
    RunSpec spec_;
    ParameterValues parameters_;
    ScenarioObjects objects_;
    Variant variant_;
    std::map<std::string, std::vector<Process>> children_; ///< main only: the started instances
    struct HeldMutex;
    std::vector<std::unique_ptr<HeldMutex>> heldMutexes_;
};

/// The image globals `write-global` and `read-global` use: plain variables of this program
/// image, so a fork child sees the parent's values and a fresh image sees the initial ones.
[[nodiscard]] std::map<std::string, std::int64_t>& scenarioGlobals();

} // namespace forkscope
