#include "task_registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace forkscope {

namespace {
struct Registry {
    std::mutex mutex;
    std::map<std::string, TaskFunction, std::less<>> byName;
};

Registry& registry() {
    static Registry instance; // function-local: safe from static initialisation order
    return instance;
}
} // namespace

bool TaskRegistry::add(std::string_view name, TaskFunction fn) {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    auto [it, inserted] = reg.byName.emplace(std::string(name), fn);
    if (!inserted && it->second != fn) {
        std::fprintf(stderr, "forkscope: two different tasks are registered as '%.*s'\n",
                     static_cast<int>(name.size()), name.data());
        std::abort();
    }
    return true;
}

TaskFunction TaskRegistry::find(std::string_view name) {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    auto it = reg.byName.find(name);
    return it == reg.byName.end() ? nullptr : it->second;
}

std::string TaskRegistry::nameOf(TaskFunction fn) {
    auto& reg = registry();
    std::lock_guard lock(reg.mutex);
    for (const auto& [name, registered] : reg.byName) {
        if (registered == fn) {
            return name;
        }
    }
    return {};
}

Target::Target(TaskFunction fn) : fn_(fn), name_(TaskRegistry::nameOf(fn)) {}

Target::Target(const char* registeredName) : Target(std::string_view(registeredName)) {}

Target::Target(std::string_view registeredName)
    : fn_(TaskRegistry::find(registeredName)), name_(registeredName) {
    if (!fn_) {
        throw ProcessError("no task is registered as '" + name_ + "'");
    }
}

std::string Target::describe() const {
    if (closure_) {
        return "a closure";
    }
    return name_.empty() ? "an unregistered function" : "task '" + name_ + "'";
}

void Target::run(TaskArgs& args) const {
    if (closure_) {
        closure_(args);
    } else {
        fn_(args);
    }
}

} // namespace forkscope
