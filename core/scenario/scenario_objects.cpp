#include "scenario_objects.h"

#include "action_catalog.h"
#include "buffered_file.h"
#include "ipc/connection.h"
#include "ipc/joinable_queue.h"
#include "ipc/pipe.h"
#include "ipc/queue.h"
#include "ipc/simple_queue.h"
#include "managed_dict.h"
#include "pipe_ends.h"
#include "scenario_pool.h"
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
    std::function<std::any(const ObjectSpec&, const ParameterValues&, StartMethod)> create;
    std::function<Arg(const std::string&, const std::any&)> toArg;
    std::function<std::any(TaskArgs&, std::size_t)> fromArg;
};

template <class T> KindBinding bind(std::function<T(const ObjectSpec&, const ParameterValues&)> make) {
    return KindBinding{
        [make](const ObjectSpec& spec, const ParameterValues& p, StartMethod) {
            return std::any(make(spec, p));
        },
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
        // Main only (ActionCatalog::mainOnly): created with the run's start method, never passed.
        {"pool", KindBinding{[](const ObjectSpec& s, const ParameterValues& p, StartMethod method) {
                                 ScenarioPool::Options options;
                                 options.processes = static_cast<int>(intOption(s, "processes", 2, p));
                                 options.deathPolicy = boolOption(s, "broken_on_death", true, p)
                                                           ? WorkerDeathPolicy::Broken
                                                           : WorkerDeathPolicy::Python;
                                 if (s.options.contains("maxtasksperchild")) {
                                     options.maxtasksperchild =
                                         static_cast<int>(intOption(s, "maxtasksperchild", 0, p));
                                 }
                                 options.startMethod = method;
                                 options.name = s.name;
                                 return std::any(std::make_shared<ScenarioPool>(options));
                             },
                             nullptr, nullptr}},
        {"manager-dict", bind<ManagedDict>([](const ObjectSpec&, const ParameterValues&) {
             ManagedDict dict;
             dict.manager = std::make_shared<Manager>();
             dict.manager->start();
             dict.proxy = dict.manager->dict();
             return dict;
         })},
        // An image global (isImageGlobal): a fork child inherits its cache, a fresh image makes
        // a new, empty one, as a replaced sys.stdin would be.
        {"buffered-file",
         bind<std::shared_ptr<BufferedFile>>([](const ObjectSpec& s, const ParameterValues& p) {
             return std::make_shared<BufferedFile>(boolOption(s, "pid_keyed_cache", false, p));
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
    return spec.kind == "thread-mutex" || spec.kind == "buffered-file" ||
           boolOption(spec, "global", false, parameters);
}

/// This image's module-level globals. A fork child inherits the map (and so the very same
/// objects: their shared memory stays mapped); a fresh image starts with it empty.
std::map<std::string, std::any>& imageGlobals() {
    static std::map<std::string, std::any> globals;
    return globals;
}

} // namespace

namespace {
void collectReferences(const std::vector<Action>& actions, std::set<std::string>& used) {
    for (const Action& action : actions) {
        const ActionCatalog::Verb* verb = ActionCatalog::verb(action.verb);
        for (const auto& field : verb->fields) {
            if (field.type == ActionCatalog::FieldType::ObjectRef && action.fields.contains(field.name)) {
                used.insert(action.fields.at(field.name).get<std::string>());
            }
        }
        collectReferences(action.actions, used);
    }
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
            it = globals.emplace(spec.name, bindingFor(spec.kind).create(spec, parameters, StartMethod::Fork))
                     .first;
        }
        objects_[spec.name] = it->second;
        kinds_[spec.name] = spec.kind;
    }
}

ScenarioObjects ScenarioObjects::createAll(const Scenario& scenario, const ParameterValues& parameters,
                                           StartMethod startMethod, Variant variant) {
    // Objects that start processes of their own (a pool's workers, a manager's server) are made
    // only when this variant uses them, so the picture shows no idle processes.
    std::set<std::string> used;
    for (const ProcessSpec& process : scenario.processes) {
        collectReferences(process.actionsFor(variant), used);
    }
    ScenarioObjects objects;
    for (const ObjectSpec& spec : scenario.objects) {
        if (isImageGlobal(spec, parameters)) {
            continue;
        }
        if ((spec.kind == "pool" || spec.kind == "manager-dict") && used.count(spec.name) == 0) {
            continue;
        }
        objects.objects_[spec.name] = bindingFor(spec.kind).create(spec, parameters, startMethod);
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
    collectReferences(actions, used);
    std::vector<std::string> names;
    for (const ObjectSpec& spec : scenario.objects) {
        // Main-only objects are never passed (the loader refuses a child that names one).
        if (used.count(spec.name) != 0 && !isImageGlobal(spec, parameters) &&
            !ActionCatalog::mainOnly(spec.kind)) {
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
