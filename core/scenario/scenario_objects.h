#pragma once

#include "process/task_args.h"
#include "scenario.h"
#include "scenario_loader.h"

#include <any>
#include <map>
#include <string>
#include <vector>

namespace forkscope {

/// The live shared objects of one scenario process, by name.
///
/// Main creates them (createAll); a child receives the ones its actions name as start
/// arguments, so every start method passes them the way multiprocessing does: copied handles
/// under fork, serialised handles under spawn and forkserver. An object declared `"global":
/// true` is the exception the guidelines warn about: a module-level global of the program
/// image. It is never passed. A fork child still shares it, because it inherited the parent's
/// memory; a spawned or forkserver child gets a fresh one of its own, made when the image
/// starts, which shares nothing with the parent's.
class ScenarioObjects {
public:
    /// Creates every non-global object of the scenario, and the globals of this image. Main-only
    /// objects (a pool) use `startMethod` for the processes they start themselves.
    static ScenarioObjects createAll(const Scenario& scenario, const ParameterValues& parameters,
                                     StartMethod startMethod = StartMethod::Fork,
                                     Variant variant = Variant::Hazard);

    /// The start arguments that hand `names` (non-global objects) to a child, in that order.
    [[nodiscard]] Args argsFor(const std::vector<std::string>& names) const;
    /// In a child: the objects `names` from its start arguments, starting at `firstIndex`, plus
    /// the globals of this image (inherited under fork, fresh under spawn/forkserver).
    static ScenarioObjects fromTaskArgs(const Scenario& scenario, const ParameterValues& parameters,
                                        const std::vector<std::string>& names, TaskArgs& args,
                                        std::size_t firstIndex);

    /// The non-global objects the actions refer to (nested ones included), in declaration order;
    /// main-only objects are left out: they are never passed.
    [[nodiscard]] static std::vector<std::string> referencedBy(const Scenario& scenario,
                                                               const ParameterValues& parameters,
                                                               const std::vector<Action>& actions);

    template <class T> [[nodiscard]] T& get(const std::string& name) {
        auto it = objects_.find(name);
        if (it == objects_.end()) {
            throw std::logic_error("scenario object '" + name + "' is not available in this process");
        }
        T* value = std::any_cast<T>(&it->second);
        if (value == nullptr) {
            throw std::logic_error("scenario object '" + name + "' is not a " + typeid(T).name());
        }
        return *value;
    }
    [[nodiscard]] const std::string& kindOf(const std::string& name) const;

private:
    void addGlobals(const Scenario& scenario, const ParameterValues& parameters);

    std::map<std::string, std::any> objects_;
    std::map<std::string, std::string> kinds_;
};

} // namespace forkscope
