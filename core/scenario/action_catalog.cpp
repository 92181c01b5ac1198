#include "action_catalog.h"

namespace forkscope {

namespace {
using FT = ActionCatalog::FieldType;
using Field = ActionCatalog::Field;

const std::vector<std::string> kQueues = {"queue", "simple-queue", "joinable-queue", "shm-queue"};
const std::vector<std::string> kLockLike = {
    "lock", "rlock", "robust-lock", "semaphore", "bounded-semaphore", "thread-mutex"};

Field req(std::string name, FT type, std::string description, std::vector<std::string> kinds = {}) {
    return Field{std::move(name), type, true, std::move(kinds), std::move(description)};
}
Field opt(std::string name, FT type, std::string description, std::vector<std::string> kinds = {}) {
    return Field{std::move(name), type, false, std::move(kinds), std::move(description)};
}
} // namespace

const std::vector<ActionCatalog::Verb>& ActionCatalog::verbs() {
    static const std::vector<Verb> table = {
        {"start",
         "start every instance of a process kind",
         {req("process", FT::ProcessRef, "the process kind to start"),
          opt("argument", FT::String,
              "\"closure\": also pass a closure (a lambda with captured state), which only fork can "
              "hand over"),
          opt("pass_global", FT::String,
              "pass this global's current value to each child as a start argument, instead of relying on "
              "the child's copy of the global")}},
        {"join",
         "wait for every instance of a process kind to end",
         {req("process", FT::ProcessRef, "the process kind to join"),
          opt("timeout_ms", FT::Integer, "give up after this long (the process stays unjoined)")}},
        {"terminate",
         "send SIGTERM to an instance",
         {req("process", FT::ProcessRef, "the process kind"),
          opt("index", FT::Integer, "which instance (default 0)")}},
        {"kill",
         "send SIGKILL to an instance",
         {req("process", FT::ProcessRef, "the process kind"),
          opt("index", FT::Integer, "which instance (default 0)")}},
        {"active-children", "reap finished children (Python's active_children())", {}},
        {"put",
         "put an item of the given size on a queue",
         {req("object", FT::ObjectRef, "the queue", kQueues),
          req("bytes", FT::Integer, "item size in bytes")}},
        {"get",
         "take an item from a queue",
         {req("object", FT::ObjectRef, "the queue", kQueues),
          opt("timeout_ms", FT::Integer, "raise Empty after this long")}},
        {"cancel-join-thread",
         "let this process exit without flushing its queue feeder",
         {req("object", FT::ObjectRef, "the queue", {"queue", "joinable-queue"})}},
        {"task-done",
         "mark one item of a joinable queue as processed",
         {req("object", FT::ObjectRef, "the queue", {"joinable-queue"})}},
        {"lock",
         "acquire a lock or semaphore",
         {req("object", FT::ObjectRef, "what to acquire", kLockLike),
          opt("timeout_ms", FT::Integer, "give up after this long")}},
        {"unlock",
         "release a lock or semaphore",
         {req("object", FT::ObjectRef, "what to release", kLockLike)}},
        {"send",
         "send a message of the given size on a pipe end",
         {req("object", FT::ObjectRef, "the pipe", {"pipe"}), req("end", FT::Integer, "0 or 1"),
          req("bytes", FT::Integer, "message size in bytes"),
          opt("lock", FT::ObjectRef, "hold this lock around the send", kLockLike)}},
        {"recv",
         "receive one message from a pipe end",
         {req("object", FT::ObjectRef, "the pipe", {"pipe"}), req("end", FT::Integer, "0 or 1")}},
        {"set", "set an event", {req("object", FT::ObjectRef, "the event", {"event"})}},
        {"wait",
         "wait for an event or at a barrier",
         {req("object", FT::ObjectRef, "the event or barrier", {"event", "barrier"}),
          opt("timeout_ms", FT::Integer, "give up after this long")}},
        {"increment",
         "add one to a shared value, `times` times",
         {req("object", FT::ObjectRef, "the shared value", {"value"}), req("times", FT::Integer, "how often"),
          req("locked", FT::Boolean, "hold the value's lock around each increment")}},
        {"report",
         "report a shared value, and how far it is from what was expected",
         {req("object", FT::ObjectRef, "the shared value", {"value"}),
          opt("expected", FT::Integer, "the value a correct program would have")}},
        {"write-global",
         "assign a global variable of this program image",
         {req("name", FT::String, "the global's name"), req("value", FT::Integer, "the new value")}},
        {"read-global",
         "read a global variable and report what this process sees",
         {req("name", FT::String, "the global's name")}},
        {"print",
         "write lines to the shared output",
         {req("text", FT::String, "the line"), opt("lines", FT::Integer, "how many times (default 1)"),
          opt("lock", FT::ObjectRef, "hold this lock around each line", kLockLike)}},
        {"sleep",
         "pause (for pacing the picture, never for synchronisation)",
         {req("ms", FT::Integer, "milliseconds")}},
        {"compute", "burn CPU", {req("iterations", FT::Integer, "loop iterations")}},
        {"hold-in-thread",
         "a helper thread acquires a lock and keeps it (to fork a threaded process)",
         {req("object", FT::ObjectRef, "the in-process mutex", {"thread-mutex"})}},
        {"pool-map",
         "map a trivial task over range(tasks) and wait for every result (Python's pool.map)",
         {req("object", FT::ObjectRef, "the pool", {"pool"}), req("tasks", FT::Integer, "how many tasks"),
          opt("task_ms", FT::Integer, "how long each task works")}},
        {"kill-pool-worker",
         "arm a helper thread that SIGKILLs the worker of the next task to start, while it runs "
         "that task (put it before the pool-map it should hit)",
         {req("object", FT::ObjectRef, "the pool", {"pool"})}},
        {"proxy-call",
         "use a manager proxy, optionally from two threads",
         {req("object", FT::ObjectRef, "the proxy", {"manager-dict"}),
          req("times", FT::Integer, "how many calls"),
          opt("threads", FT::Integer, "threads using the same proxy (default 1)"),
          opt("lock", FT::ObjectRef, "a lock held around each call", {"thread-mutex"})}},
        {"repeat",
         "run a list of actions several times",
         {req("times", FT::Integer, "how often"), req("actions", FT::Actions, "what to repeat")}},
        {"report-start-latency", "report how long after main's start() call this process began its task", {}},
        {"run-unguarded-program",
         "run a small program that starts a child with this run's start method, with or without "
         "the entry guard (freezeSupport) first in its main()",
         {req("guarded", FT::Boolean, "call the entry guard first, as every program must")}},
        {"write-file",
         "append text to a buffered file-like object",
         {req("object", FT::ObjectRef, "the file-like object", {"buffered-file"}),
          req("text", FT::String, "what")}},
        {"close-file",
         "close (and so flush) a buffered file-like object",
         {req("object", FT::ObjectRef, "the file-like object", {"buffered-file"})}},
    };
    return table;
}

const std::vector<ActionCatalog::ObjectKind>& ActionCatalog::objectKinds() {
    static const std::vector<ObjectKind> table = {
        {"queue", "Python's Queue: pipe + feeder thread", {opt("maxsize", FT::Integer, "0 = unbounded")}},
        {"simple-queue", "Python's SimpleQueue: a pipe and two locks", {}},
        {"joinable-queue", "Queue with task_done()/join()", {opt("maxsize", FT::Integer, "0 = unbounded")}},
        {"shm-queue", "a bounded ring in shared memory", {opt("capacity", FT::Integer, "slots")}},
        {"pipe", "Pipe(duplex)", {opt("duplex", FT::Boolean, "default true")}},
        {"lock",
         "Lock",
         {opt("global", FT::Boolean,
              "a module-level global of the program image: never passed to children")}},
        {"rlock",
         "RLock",
         {opt("global", FT::Boolean,
              "a module-level global of the program image: never passed to children")}},
        {"robust-lock",
         "a lock whose next owner recovers it when the holder dies",
         {opt("global", FT::Boolean,
              "a module-level global of the program image: never passed to children")}},
        {"semaphore", "Semaphore", {opt("value", FT::Integer, "initial value (default 1)")}},
        {"bounded-semaphore", "BoundedSemaphore", {opt("value", FT::Integer, "initial value (default 1)")}},
        {"event", "Event", {}},
        {"barrier", "Barrier", {req("parties", FT::Integer, "how many must wait")}},
        {"value", "Value('i') in shared memory", {opt("lock", FT::Boolean, "synchronised (default true)")}},
        {"thread-mutex", "a plain in-process mutex (std::mutex), not shared between processes", {}},
        {"pool",
         "Pool (main only: a pool cannot be passed to another process)",
         {opt("processes", FT::Integer, "workers"),
          opt("broken_on_death", FT::Boolean, "fail fast when a worker dies (default true)"),
          opt("maxtasksperchild", FT::Integer, "replace workers after this many tasks")}},
        {"manager-dict",
         "a dict held by a Manager that main starts, reached through a proxy (the proxy is passed)",
         {}},
        {"buffered-file",
         "a file-like object (like a replaced sys.stdin) that buffers writes in process memory until "
         "close(); a module-level global of the program image, never passed",
         {opt("pid_keyed_cache", FT::Boolean, "discard the cache when the pid changes (the fix)")}},
    };
    return table;
}

const ActionCatalog::Verb* ActionCatalog::verb(std::string_view name) {
    for (const auto& v : verbs()) {
        if (v.name == name) {
            return &v;
        }
    }
    return nullptr;
}

const ActionCatalog::ObjectKind* ActionCatalog::objectKind(std::string_view name) {
    for (const auto& k : objectKinds()) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

bool ActionCatalog::mainOnly(std::string_view kind) {
    return kind == "pool";
}

std::string ActionCatalog::typeName(FieldType type) {
    switch (type) {
    case FT::Integer:
        return "an integer (or \"$parameter\")";
    case FT::Boolean:
        return "true or false (or \"$parameter\")";
    case FT::String:
        return "a string";
    case FT::ObjectRef:
        return "the name of an object";
    case FT::ProcessRef:
        return "the name of a process";
    case FT::Actions:
        return "a list of actions";
    }
    return "?";
}

namespace {
nlohmann::json fieldSchema(const Field& field) {
    using nlohmann::json;
    const json paramRef = {{"type", "string"}, {"pattern", "^\\$[a-z][a-z0-9_]*$"}};
    switch (field.type) {
    case FT::Integer:
        return {{"description", field.description},
                {"anyOf", json::array({{{"type", "integer"}}, paramRef})}};
    case FT::Boolean:
        return {{"description", field.description},
                {"anyOf", json::array({{{"type", "boolean"}}, paramRef})}};
    case FT::String:
    case FT::ObjectRef:
    case FT::ProcessRef:
        return {{"description", field.description}, {"type", "string"}};
    case FT::Actions:
        return {{"description", field.description}, {"$ref", "#/$defs/actions"}};
    }
    return json::object();
}
} // namespace

nlohmann::json ActionCatalog::schema() {
    using nlohmann::json;
    json actions = json::array();
    for (const Verb& v : verbs()) {
        json properties = {{"do", {{"const", v.name}, {"description", v.description}}}};
        json required = json::array({"do"});
        for (const Field& f : v.fields) {
            properties[f.name] = fieldSchema(f);
            if (f.required) {
                required.push_back(f.name);
            }
        }
        actions.push_back({{"type", "object"},
                           {"properties", properties},
                           {"required", required},
                           {"additionalProperties", false}});
    }
    json kinds = json::array();
    for (const ObjectKind& k : objectKinds()) {
        json properties = {{"kind", {{"const", k.name}, {"description", k.description}}}};
        json required = json::array({"kind"});
        for (const Field& f : k.options) {
            properties[f.name] = fieldSchema(f);
            if (f.required) {
                required.push_back(f.name);
            }
        }
        kinds.push_back({{"type", "object"},
                         {"properties", properties},
                         {"required", required},
                         {"additionalProperties", false}});
    }
    const json outcome = {{"enum", {"completed", "deadlock", "stall", "error", "timeout"}}};
    const json perMethod = {{"type", "object"},
                            {"properties", {{"fork", outcome}, {"spawn", outcome}, {"forkserver", outcome}}},
                            {"required", {"fork", "spawn", "forkserver"}},
                            {"additionalProperties", false}};
    const json name = {{"type", "string"}, {"pattern", "^[a-z][a-z0-9_-]*$"}};
    return {
        {"$schema", "https://json-schema.org/draft/2020-12/schema"},
        {"$id", "https://forkscope.invalid/scenario.schema.json"},
        {"title", "Forkscope scenario"},
        {"description",
         "A multiprocessing guideline reproduced by real processes: objects, processes and their "
         "actions, a hazard and a fix variant, and the expected outcome under each start method."},
        {"type", "object"},
        {"required", {"format", "id", "title", "guideline", "processes", "expected"}},
        {"additionalProperties", false},
        {"properties",
         {{"format", {{"const", 1}}},
          {"id", {{"type", "string"}, {"pattern", "^[a-z][a-z0-9-]*$"}}},
          {"title", {{"type", "string"}}},
          {"guideline",
           {{"type", "object"},
            {"required", {"name", "text"}},
            {"additionalProperties", false},
            {"properties", {{"name", {{"type", "string"}}}, {"text", {{"type", "string"}}}}}}},
          {"watch_for", {{"type", "string"}}},
          {"hazard", {{"type", "string"}}},
          {"fix", {{"type", "string"}}},
          {"method_notes", {{"type", "string"}}},
          {"parameters",
           {{"type", "object"},
            {"propertyNames", name},
            {"additionalProperties",
             {{"type", "object"},
              {"required", {"type", "default"}},
              {"additionalProperties", false},
              {"properties",
               {{"type", {{"enum", {"integer", "boolean", "string"}}}},
                {"default", json::object()},
                {"min", {{"type", "integer"}}},
                {"max", {{"type", "integer"}}},
                {"unit", {{"type", "string"}}},
                {"description", {{"type", "string"}}}}}}}}},
          {"objects",
           {{"type", "object"}, {"propertyNames", name}, {"additionalProperties", {{"oneOf", kinds}}}}},
          {"processes",
           {{"type", "object"},
            {"propertyNames", name},
            {"required", {"main"}},
            {"additionalProperties",
             {{"type", "object"},
              {"additionalProperties", false},
              {"properties",
               {{"count",
                 fieldSchema(Field{"count", FT::Integer, false, {}, "how many instances (default 1)"})},
                {"actions", {{"$ref", "#/$defs/actions"}}},
                {"hazard", {{"$ref", "#/$defs/actions"}}},
                {"fix", {{"$ref", "#/$defs/actions"}}}}}}}}},
          {"expected",
           {{"type", "object"},
            {"required", {"hazard", "fix"}},
            {"additionalProperties", false},
            {"properties", {{"hazard", perMethod}, {"fix", perMethod}}}}}}},
        {"$defs", {{"actions", {{"type", "array"}, {"items", {{"oneOf", actions}}}}}}},
    };
}

} // namespace forkscope
