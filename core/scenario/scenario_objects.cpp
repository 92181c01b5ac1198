#include "scenario_objects.h"

#include "action_catalog.h"
#include "ipc/connection.h"
#include "ipc/joinable_queue.h"
#include "ipc/pipe.h"
#include "ipc/queue.h"
#include "ipc/simple_queue.h"
#include "pipe_ends.h"
#include "sync/barrier.h"
#include "sync/bounded_semaphore.h"
#include "sync/lock.h"
#include "sync/rlock.h"
#include "sync/robust_lock.h"
#include "sync/semaphore.h"
#include "sync/shared_value.h"
#include "sync/sync_event.h"
#include "thread_mutex.h"

#include <functional>
#include <set>

namespace forkscope {

namespace {

std::int64_t intOption(const ObjectSpec& spec, const char* key, std::int64_t fallback,
                       const ParameterValues& parameters) {
    return spec.options.contains(key) ? ScenarioLoader::integerField(spec.options.at(key), parameters)
                                      : fallback;
}
bool boolOption(const ObjectSpec& spec, const char* key, bool fallback, const ParameterValues& parameters) {
    return spec.options.contains(key) ? ScenarioLoader::booleanField(spec.options.at(key), parameters)
                                      : fallback;
}

/// How one object kind is made, handed to a child, and taken from the start arguments.
struct KindBinding {
    std::function<std::any(const ObjectSpec&, const ParameterValues&)> create;
    std::function<Arg(const std::string&, const std::any&)> toArg;
    std::function<std::any(TaskArgs&, std::size_t)> fromArg;
};

template <class T> KindBinding bind(std::function<T(const ObjectSpec&, const ParameterValues&)> make) {
    return KindBinding{
        [make](const ObjectSpec& spec, const ParameterValues& p) { return std::any(make(spec, p)); },
        [](const std::string& name, const std::any& value) {
            return named("object:" + name, std::any_cast<T>(value));
        },
        [](TaskArgs& args, std::size_t i) { return std::any(args.get<T>(i)); },
    };
}

const std::map<std::string, KindBinding>& bindings() {
    static const std::map<std::string, KindBinding> table = {
        {"queue", bind<Queue>([](const ObjectSpec& s, const ParameterValues& p) {
             return Queue(static_cast<std::size_t>(intOption(s, "maxsize", 0, p)), s.name);
         })},
        {"joinable-queue", bind<JoinableQueue>([](const ObjectSpec& s, const ParameterValues& p) {
             return JoinableQueue(static_cast<std::size_t>(intOption(s, "maxsize", 0, p)), s.name);
         })},
        {"simple-queue",
         bind<SimpleQueue>([](const ObjectSpec& s, const ParameterValues&) { return SimpleQueue(s.name); })},
        {"pipe", bind<PipeEnds>([](const ObjectSpec& s, const ParameterValues& p) {
             auto [a, b] = makePipe(boolOption(s, "duplex", true, p), s.name);
             return PipeEnds{std::move(a), std::move(b)};
         })},
        {"lock", bind<Lock>([](const ObjectSpec& s, const ParameterValues&) { return Lock(s.name); })},
        {"rlock", bind<RLock>([](const ObjectSpec& s, const ParameterValues&) { return RLock(s.name); })},
        {"robust-lock",
         bind<RobustLock>([](const ObjectSpec& s, const ParameterValues&) { return RobustLock(s.name); })},
        {"semaphore", bind<Semaphore>([](const ObjectSpec& s, const ParameterValues& p) {
             return Semaphore(static_cast<std::uint32_t>(intOption(s, "value", 1, p)), s.name);
         })},
        {"bounded-semaphore", bind<BoundedSemaphore>([](const ObjectSpec& s, const ParameterValues& p) {
             return BoundedSemaphore(static_cast<std::uint32_t>(intOption(s, "value", 1, p)), s.name);
         })},
        {"event",
         bind<SyncEvent>([](const ObjectSpec& s, const ParameterValues&) { return SyncEvent(s.name); })},
        {"barrier", bind<Barrier>([](const ObjectSpec& s, const ParameterValues& p) {
             return Barrier(static_cast<int>(intOption(s, "parties", 1, p)), {}, std::nullopt, s.name);
         })},
        {"value", bind<Value<std::int64_t>>([](const ObjectSpec& s, const ParameterValues& p) {
             return Value<std::int64_t>(0, boolOption(s, "lock", true, p));
         })},
        {"thread-mutex", bind<std::shared_ptr<ThreadMutex>>([](const ObjectSpec& s, const ParameterValues&) {
             return std::make_shared<ThreadMutex>(s.name);
         })},
    };
    return table;
}

const KindBinding& bindingFor(const std::string& kind) {
    auto it = bindings().find(kind);
    if (it == bindings().end()) {
        throw std::logic_error("the runner has no binding for object kind '" + kind + "'");
    }
    return it->second;
}

/// An in-process mutex is a global by nature: it lives in one image's memory.
bool isImageGlobal(const ObjectSpec& spec, const ParameterValues& parameters) {
    return spec.kind == "thread-mutex" || boolOption(spec, "global", false, parameters);
}

/// This image's module-level globals. A fork child inherits the map (and so the very same
/// objects: their shared memory stays mapped); a fresh image starts with it empty.
std::map<std::string, std::any>& imageGlobals() {
    static std::map<std::string, std::any> globals;
    return globals;
}

} // namespace

void ScenarioObjects::addGlobals(const Scenario& scenario, const ParameterValues& parameters) {
    for (const ObjectSpec& spec : scenario.objects) {
        if (!isImageGlobal(spec, parameters)) {
            continue;
        }
        auto& globals = imageGlobals();
        auto it = globals.find(spec.name);
        if (it == globals.end()) {
            it = globals.emplace(spec.name, bindingFor(spec.kind).create(spec, parameters)).first;
        }
        objects_[spec.name] = it->second;
        kinds_[spec.name] = spec.kind;
    }
}

ScenarioObjects ScenarioObjects::createAll(const Scenario& scenario, const ParameterValues& parameters) {
    ScenarioObjects objects;
    for (const ObjectSpec& spec : scenario.objects) {
        if (isImageGlobal(spec, parameters)) {
            continue;
        }
        objects.objects_[spec.name] = bindingFor(spec.kind).create(spec, parameters);
        objects.kinds_[spec.name] = spec.kind;
    }
    objects.addGlobals(scenario, parameters);
    return objects;
}

Args ScenarioObjects::argsFor(const std::vector<std::string>& names) const {
    Args args;
    for (const std::string& name : names) {
        args.push_back(bindingFor(kindOf(name)).toArg(name, objects_.at(name)));
    }
    return args;
}

ScenarioObjects ScenarioObjects::fromTaskArgs(const Scenario& scenario, const ParameterValues& parameters,
                                              const std::vector<std::string>& names, TaskArgs& args,
                                              std::size_t firstIndex) {
    ScenarioObjects objects;
    std::size_t index = firstIndex;
    for (const std::string& name : names) {
        const ObjectSpec* spec = scenario.object(name);
        objects.objects_[name] = bindingFor(spec->kind).fromArg(args, index++);
        objects.kinds_[name] = spec->kind;
    }
    objects.addGlobals(scenario, parameters);
    return objects;
}

std::vector<std::string> ScenarioObjects::referencedBy(const Scenario& scenario,
                                                       const ParameterValues& parameters,
                                                       const std::vector<Action>& actions) {
    std::set<std::string> used;
    for (const Action& action : actions) {
        const ActionCatalog::Verb* verb = ActionCatalog::verb(action.verb);
        for (const auto& field : verb->fields) {
            if (field.type == ActionCatalog::FieldType::ObjectRef && action.fields.contains(field.name)) {
                used.insert(action.fields.at(field.name).get<std::string>());
            }
        }
    }
    std::vector<std::string> names;
    for (const ObjectSpec& spec : scenario.objects) {
        if (used.count(spec.name) != 0 && !isImageGlobal(spec, parameters)) {
            names.push_back(spec.name);
        }
    }
    return names;
}

const std::string& ScenarioObjects::kindOf(const std::string& name) const {
    auto it = kinds_.find(name);
    if (it == kinds_.end()) {
        throw std::logic_error("scenario object '" + name + "' is not available in this process");
    }
    return it->second;
}

} // namespace forkscope
