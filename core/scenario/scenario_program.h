#pragma once

namespace forkscope {

/// The tasks that play a scenario. Both are registered (FORKSCOPE_TASK), so every start method
/// can run them:
/// - "scenarioMainTask" is the scenario's main program; the session host starts it (with fork)
///   in a process group of its own, so the whole run can be torn down at once.
/// - "scenarioProcessTask" is every other process of the scenario, started by main with the
///   run's start method.
/// Each takes a RunSpec first; the objects it uses follow, and ends the process with exit code
/// 1 after reporting what failed.
void linkScenarioProgram() noexcept;

} // namespace forkscope
