#pragma once

#include "task_args.h"

#include <functional>
#include <string>
#include <string_view>

namespace forkscope {

/// A task that a fresh program image can find by name.
using TaskFunction = void (*)(TaskArgs&);

/// The program's registered tasks. A spawned image has the same registrations as its parent
/// because they are made by static initialisers of the same binary; a name is what travels.
class TaskRegistry {
public:
    /// Registers fn as `name`. Two different functions under one name abort at start-up,
    /// since a child could otherwise run the wrong code.
    static bool add(std::string_view name, TaskFunction fn);
    [[nodiscard]] static TaskFunction find(std::string_view name);
    /// The registered name of fn, or an empty string.
    [[nodiscard]] static std::string nameOf(TaskFunction fn);
};

/// What a process runs: a registered task, or under fork only, any callable (a closure).
class Target {
public:
    /// A plain function: runnable everywhere if registered, otherwise only under fork.
    Target(TaskFunction fn); // NOLINT(google-explicit-constructor)
    /// A registered task by name.
    Target(const char* registeredName);      // NOLINT(google-explicit-constructor)
    Target(std::string_view registeredName); // NOLINT(google-explicit-constructor)
    /// A closure: inherited under fork, refused under spawn and forkserver.
    template <class F>
    requires(std::is_invocable_v<F&, TaskArgs&> && !std::is_convertible_v<F, TaskFunction> &&
             !std::is_convertible_v<F, std::string_view>) Target(F closure)
        : closure_(std::move(closure)) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool isClosure() const noexcept { return static_cast<bool>(closure_); }
    /// The name a fresh image can look up, or an empty string.
    [[nodiscard]] const std::string& registeredName() const noexcept { return name_; }
    /// A readable description for messages: the task name or "a closure".
    [[nodiscard]] std::string describe() const;
    void run(TaskArgs& args) const;

private:
    TaskFunction fn_ = nullptr;
    std::string name_;
    std::function<void(TaskArgs&)> closure_;
};

} // namespace forkscope

#define FORKSCOPE_CONCAT_INNER(a, b) a##b
#define FORKSCOPE_CONCAT(a, b) FORKSCOPE_CONCAT_INNER(a, b)

/// Registers a `void fn(forkscope::TaskArgs&)` under its own name, so that spawn and
/// forkserver children can run it (the analogue of a picklable module-level function).
#define FORKSCOPE_TASK(fn)                                                                                   \
    [[maybe_unused]] static const bool FORKSCOPE_CONCAT(forkscopeTaskRegistered_, __LINE__) =                \
        ::forkscope::TaskRegistry::add(#fn, &(fn))
