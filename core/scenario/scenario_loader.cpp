#include "scenario_loader.h"

#include "action_catalog.h"
#include "json_positions.h"

#include <fstream>
#include <set>
#include <sstream>

namespace forkscope {

ScenarioError::ScenarioError(std::string file, int line, std::string field, const std::string& message)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + (field.empty() ? "" : field + ": ") +
                         message),
      file_(std::move(file)), line_(line), field_(std::move(field)) {}

namespace {

using nlohmann::json;
using FT = ActionCatalog::FieldType;

/// Validation with the context to report errors: the source name and the line map.
class Validator {
public:
    Validator(const std::string& source, const std::string& text) : source_(source), positions_(text) {}

    [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
        throw ScenarioError(source_, positions_.lineOf(pointer), pointer, message);
    }
    int lineOf(const std::string& pointer) const { return positions_.lineOf(pointer); }

    const json& member(const json& object, const std::string& pointer, const std::string& key,
                       bool required) const {
        static const json missing;
        auto it = object.find(key);
        if (it == object.end()) {
            if (required) {
                fail(pointer, "missing required field '" + key + "'");
            }
            return missing;
        }
        return *it;
    }

    std::string string(const json& value, const std::string& pointer) const {
        if (!value.is_string()) {
            fail(pointer, "must be a string, not " + std::string(value.type_name()));
        }
        return value.get<std::string>();
    }

    void requireObject(const json& value, const std::string& pointer) const {
        if (!value.is_object()) {
            fail(pointer, "must be an object, not " + std::string(value.type_name()));
        }
    }

    void onlyKeys(const json& object, const std::string& pointer,
                  const std::set<std::string>& allowed) const {
        requireObject(object, pointer);
        for (const auto& [key, value] : object.items()) {
            if (!allowed.contains(key)) {
                std::string known;
                for (const auto& k : allowed) {
                    known += (known.empty() ? "" : ", ") + k;
                }
                fail(pointer + "/" + key, "unknown field '" + key + "' (known: " + known + ")");
            }
        }
    }

    static void checkName(const Validator& v, const std::string& name, const std::string& pointer,
                          const char* what) {
        if (name.empty() || !std::islower(static_cast<unsigned char>(name[0])) ||
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
            v.fail(pointer, std::string(what) + " name '" + name +
                                "' must start with a lower-case letter and use only a-z, 0-9, '-' and '_'");
        }
    }

private:
    std::string source_;
    JsonPositions positions_;
};

ParameterSpec::Type parameterType(const Validator& v, const json& value, const std::string& pointer) {
    const std::string type = v.string(value, pointer);
    if (type == "integer") {
        return ParameterSpec::Type::Integer;
    }
    if (type == "boolean") {
        return ParameterSpec::Type::Boolean;
    }
    if (type == "string") {
        return ParameterSpec::Type::String;
    }
    v.fail(pointer, "unknown parameter type '" + type + "' (known: integer, boolean, string)");
}

void checkParameterValue(const Validator& v, const ParameterSpec& p, const json& value,
                         const std::string& pointer) {
    switch (p.type) {
    case ParameterSpec::Type::Integer:
        if (!value.is_number_integer()) {
            v.fail(pointer,
                   "parameter '" + p.name + "' is an integer, not " + std::string(value.type_name()));
        }
        if ((p.minimum && value.get<std::int64_t>() < *p.minimum) ||
            (p.maximum && value.get<std::int64_t>() > *p.maximum)) {
            v.fail(pointer, "parameter '" + p.name + "' must be between " +
                                (p.minimum ? std::to_string(*p.minimum) : "-inf") + " and " +
                                (p.maximum ? std::to_string(*p.maximum) : "inf") + " (got " + value.dump() +
                                ")");
        }
        break;
    case ParameterSpec::Type::Boolean:
        if (!value.is_boolean()) {
            v.fail(pointer, "parameter '" + p.name + "' is a boolean, not " + std::string(value.type_name()));
        }
        break;
    case ParameterSpec::Type::String:
        if (!value.is_string()) {
            v.fail(pointer, "parameter '" + p.name + "' is a string, not " + std::string(value.type_name()));
        }
        break;
    }
}

std::vector<ParameterSpec> loadParameters(const Validator& v, const json& root) {
    std::vector<ParameterSpec> result;
    const json& params = v.member(root, "", "parameters", false);
    if (params.is_null()) {
        return result;
    }
    v.requireObject(params, "/parameters"); // its keys are the parameters' own names
    for (const auto& [name, spec] : params.items()) {
        const std::string pointer = "/parameters/" + name;
        Validator::checkName(v, name, pointer, "parameter");
        v.onlyKeys(spec, pointer, {"type", "default", "min", "max", "unit", "description"});
        ParameterSpec p;
        p.name = name;
        p.type = parameterType(v, v.member(spec, pointer, "type", true), pointer + "/type");
        for (const char* bound : {"min", "max"}) {
            const json& b = v.member(spec, pointer, bound, false);
            if (b.is_null()) {
                continue;
            }
            if (p.type != ParameterSpec::Type::Integer || !b.is_number_integer()) {
                v.fail(pointer + "/" + bound,
                       std::string("'") + bound + "' needs an integer parameter and value");
            }
            (std::string(bound) == "min" ? p.minimum : p.maximum) = b.get<std::int64_t>();
        }
        if (p.minimum && p.maximum && *p.minimum > *p.maximum) {
            v.fail(pointer + "/min", "min is greater than max");
        }
        p.defaultValue = v.member(spec, pointer, "default", true);
        checkParameterValue(v, p, p.defaultValue, pointer + "/default");
        if (spec.contains("unit")) {
            p.unit = v.string(spec["unit"], pointer + "/unit");
        }
        if (spec.contains("description")) {
            p.description = v.string(spec["description"], pointer + "/description");
        }
        result.push_back(std::move(p));
    }
    return result;
}

std::vector<Action> loadActions(const Validator& v, const Scenario& s, const json& list,
                                const std::string& pointer, const std::string& process);

/// Checks a field value against its declared type, following "$parameter" references.
void checkField(const Validator& v, const Scenario& s, const ActionCatalog::Field& field, const json& value,
                const std::string& pointer) {
    auto checkRefOr = [&](ParameterSpec::Type type, bool literalOk, const char* what) {
        if (literalOk) {
            return;
        }
        if (value.is_string() && value.get<std::string>().starts_with("$")) {
            const std::string name = value.get<std::string>().substr(1);
            const ParameterSpec* p = s.parameter(name);
            if (p == nullptr) {
                v.fail(pointer, "refers to undefined parameter '" + name + "'");
            }
            if (p->type != type) {
                v.fail(pointer, "parameter '" + name + "' is not " + what);
            }
            return;
        }
        v.fail(pointer, "'" + field.name + "' must be " + ActionCatalog::typeName(field.type) + ", not " +
                            std::string(value.type_name()));
    };
    switch (field.type) {
    case FT::Integer:
        checkRefOr(ParameterSpec::Type::Integer, value.is_number_integer(), "an integer");
        if (value.is_number_integer() && value.get<std::int64_t>() < 0) {
            v.fail(pointer, "'" + field.name + "' must not be negative");
        }
        break;
    case FT::Boolean:
        checkRefOr(ParameterSpec::Type::Boolean, value.is_boolean(), "a boolean");
        break;
    case FT::String:
        (void)v.string(value, pointer);
        break;
    case FT::ObjectRef: {
        const std::string name = v.string(value, pointer);
        const ObjectSpec* object = s.object(name);
        if (object == nullptr) {
            v.fail(pointer, "refers to undefined object '" + name + "'");
        }
        if (!field.objectKinds.empty() && std::find(field.objectKinds.begin(), field.objectKinds.end(),
                                                    object->kind) == field.objectKinds.end()) {
            std::string kinds;
            for (const auto& k : field.objectKinds) {
                kinds += (kinds.empty() ? "" : ", ") + k;
            }
            v.fail(pointer,
                   "object '" + name + "' is a " + object->kind + "; this action needs one of: " + kinds);
        }
        break;
    }
    case FT::ProcessRef: {
        const std::string name = v.string(value, pointer);
        if (s.process(name) == nullptr) {
            v.fail(pointer, "refers to undefined process '" + name + "'");
        }
        if (name == "main") {
            v.fail(pointer,
                   "'main' is the scenario's own process and cannot be started, joined or signalled");
        }
        break;
    }
    case FT::Actions:
        if (!value.is_array()) {
            v.fail(pointer, "must be a list of actions");
        }
        break;
    }
}

std::vector<Action> loadActions(const Validator& v, const Scenario& s, const json& list,
                                const std::string& pointer, const std::string& process) {
    if (!list.is_array()) {
        v.fail(pointer, "must be a list of actions, not " + std::string(list.type_name()));
    }
    std::vector<Action> actions;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string at = pointer + "/" + std::to_string(i);
        const json& item = list[i];
        if (!item.is_object()) {
            v.fail(at, "an action must be an object like {\"do\": \"put\", ...}");
        }
        const std::string verbName = v.string(v.member(item, at, "do", true), at + "/do");
        const ActionCatalog::Verb* verb = ActionCatalog::verb(verbName);
        if (verb == nullptr) {
            std::string known;
            for (const auto& candidate : ActionCatalog::verbs()) {
                known += (known.empty() ? "" : ", ") + candidate.name;
            }
            v.fail(at + "/do", "unknown action '" + verbName + "' (known: " + known + ")");
        }
        std::set<std::string> allowed = {"do"};
        for (const auto& field : verb->fields) {
            allowed.insert(field.name);
        }
        v.onlyKeys(item, at, allowed);
        Action action;
        action.verb = verbName;
        action.line = v.lineOf(at);
        action.fields = json::object();
        for (const auto& field : verb->fields) {
            const json& value = v.member(item, at, field.name, field.required);
            if (value.is_null()) {
                continue;
            }
            checkField(v, s, field, value, at + "/" + field.name);
            if (field.type == FT::ObjectRef && process != "main" &&
                ActionCatalog::mainOnly(s.object(value.get<std::string>())->kind)) {
                v.fail(at + "/" + field.name, "object '" + value.get<std::string>() + "' is a " +
                                                  s.object(value.get<std::string>())->kind +
                                                  ", which only main may use: it cannot be passed to '" +
                                                  process + "'");
            }
            if (field.type == FT::Actions) {
                action.actions = loadActions(v, s, value, at + "/" + field.name, process);
                continue;
            }
            action.fields[field.name] = value;
        }
        actions.push_back(std::move(action));
    }
    return actions;
}

Scenario validate(const Validator& v, const json& root, const std::string& source) {
    v.onlyKeys(root, "",
               {"format", "id", "title", "guideline", "watch_for", "hazard", "fix", "method_notes",
                "parameters", "objects", "processes", "expected"});
    Scenario s;
    s.source = source;
    const json& format = v.member(root, "", "format", true);
    if (!format.is_number_integer() || format.get<int>() != Scenario::kFormat) {
        v.fail("/format", "unsupported format " + format.dump() + " (this Forkscope reads format " +
                              std::to_string(Scenario::kFormat) + ")");
    }
    s.id = v.string(v.member(root, "", "id", true), "/id");
    Validator::checkName(v, s.id, "/id", "scenario");
    s.title = v.string(v.member(root, "", "title", true), "/title");
    const json& guideline = v.member(root, "", "guideline", true);
    v.onlyKeys(guideline, "/guideline", {"name", "text"});
    s.guideline.name = v.string(v.member(guideline, "/guideline", "name", true), "/guideline/name");
    s.guideline.text = v.string(v.member(guideline, "/guideline", "text", true), "/guideline/text");
    for (auto [key, target] :
         {std::pair{"watch_for", &s.watchFor}, std::pair{"hazard", &s.hazardDescription},
          std::pair{"fix", &s.fixDescription}, std::pair{"method_notes", &s.methodNotes}}) {
        if (root.contains(key)) {
            *target = v.string(root[key], std::string("/") + key);
        }
    }
    s.parameters = loadParameters(v, root);

    const json& objects = v.member(root, "", "objects", false);
    if (!objects.is_null()) {
        v.requireObject(objects, "/objects");
        for (const auto& [name, spec] : objects.items()) {
            const std::string pointer = "/objects/" + name;
            Validator::checkName(v, name, pointer, "object");
            if (!spec.is_object()) {
                v.fail(pointer, "an object must be like {\"kind\": \"queue\"}");
            }
            const std::string kindName = v.string(v.member(spec, pointer, "kind", true), pointer + "/kind");
            const ActionCatalog::ObjectKind* kind = ActionCatalog::objectKind(kindName);
            if (kind == nullptr) {
                std::string known;
                for (const auto& k : ActionCatalog::objectKinds()) {
                    known += (known.empty() ? "" : ", ") + k.name;
                }
                v.fail(pointer + "/kind", "unknown object kind '" + kindName + "' (known: " + known + ")");
            }
            std::set<std::string> allowed = {"kind"};
            for (const auto& option : kind->options) {
                allowed.insert(option.name);
            }
            v.onlyKeys(spec, pointer, allowed);
            ObjectSpec object{name, kindName, json::object(), v.lineOf(pointer)};
            for (const auto& option : kind->options) {
                const json& value = v.member(spec, pointer, option.name, option.required);
                if (!value.is_null()) {
                    checkField(v, s, option, value, pointer + "/" + option.name);
                    object.options[option.name] = value;
                }
            }
            s.objects.push_back(std::move(object));
        }
    }

    const json& processes = v.member(root, "", "processes", true);
    v.requireObject(processes, "/processes");
    if (!processes.contains("main")) {
        v.fail("/processes", "missing the 'main' process (the scenario's own main program)");
    }
    // Names first, so actions can refer to processes declared later in the file.
    for (const auto& [name, spec] : processes.items()) {
        Validator::checkName(v, name, "/processes/" + name, "process");
        ProcessSpec process;
        process.name = name;
        process.line = v.lineOf("/processes/" + name);
        if (name == "main") {
            s.processes.insert(s.processes.begin(), std::move(process));
        } else {
            s.processes.push_back(std::move(process));
        }
    }
    for (ProcessSpec& process : s.processes) {
        const std::string pointer = "/processes/" + process.name;
        const json& spec = processes[process.name];
        v.onlyKeys(spec, pointer, {"count", "actions", "hazard", "fix"});
        if (spec.contains("count")) {
            checkField(v, s, ActionCatalog::Field{"count", FT::Integer, false, {}, ""}, spec["count"],
                       pointer + "/count");
            if (process.name == "main" && spec["count"] != 1) {
                v.fail(pointer + "/count", "there is exactly one main process");
            }
            process.count = spec["count"];
        }
        if (!spec.contains("actions") && !(spec.contains("hazard") && spec.contains("fix"))) {
            v.fail(pointer, "needs 'actions', or both 'hazard' and 'fix' action lists");
        }
        if (spec.contains("actions")) {
            process.actions = loadActions(v, s, spec["actions"], pointer + "/actions", process.name);
        }
        for (Variant variant : {Variant::Hazard, Variant::Fix}) {
            const std::string key(toString(variant));
            if (spec.contains(key)) {
                process.variantActions[variant] =
                    loadActions(v, s, spec[key], pointer + "/" + key, process.name);
            }
        }
    }

    const json& expected = v.member(root, "", "expected", true);
    v.onlyKeys(expected, "/expected", {"hazard", "fix"});
    for (Variant variant : {Variant::Hazard, Variant::Fix}) {
        const std::string key(toString(variant));
        const std::string pointer = "/expected/" + key;
        const json& perMethod = v.member(expected, "/expected", key, true);
        v.onlyKeys(perMethod, pointer, {"fork", "spawn", "forkserver"});
        for (StartMethod method : {StartMethod::Fork, StartMethod::Spawn, StartMethod::Forkserver}) {
            const std::string methodKey(toString(method));
            const std::string at = pointer + "/" + methodKey;
            const std::string text = v.string(v.member(perMethod, pointer, methodKey, true), at);
            auto outcome = parseOutcome(text);
            if (!outcome) {
                v.fail(at,
                       "unknown outcome '" + text + "' (known: completed, deadlock, stall, error, timeout)");
            }
            s.expected[variant][method] = *outcome;
        }
    }
    return s;
}

int lineOfOffset(const std::string& text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

} // namespace

Scenario ScenarioLoader::loadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError(path, 0, "", "cannot read the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return loadText(text.str(), path);
}

Scenario ScenarioLoader::loadText(const std::string& text, const std::string& source) {
    // nlohmann's parser takes a NUL byte outside a string for the end of the input, so `"x"\0{...`
    // would parse as "x" while the rest went unread (and the line map, which scans every byte,
    // would then fail on it). JSON text never contains a raw NUL: refuse it here, where it is.
    if (const std::size_t nul = text.find('\0'); nul != std::string::npos) {
        throw ScenarioError(source, lineOfOffset(text, nul), "",
                            "not valid JSON: a NUL byte at offset " + std::to_string(nul) +
                                " (JSON text cannot contain one; is this a binary file?)");
    }
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        std::string message = e.what();
        // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..."
        auto colon = message.find("]: ");
        auto detail = message.find(": ", message.find("column"));
        throw ScenarioError(source, lineOfOffset(text, e.byte == 0 ? 0 : e.byte - 1), "",
                            "not valid JSON: " +
                                (detail != std::string::npos
                                     ? message.substr(detail + 2)
                                     : message.substr(colon == std::string::npos ? 0 : colon)));
    } catch (const json::out_of_range& e) {
        // A number too large for a double ("1e999") is out_of_range.406, which names the literal
        // but not where it is: find it to give the line.
        const std::string message = e.what();
        const std::size_t open = message.find('\'');
        const std::size_t close = message.rfind('\'');
        const std::string literal =
            open != std::string::npos && close > open ? message.substr(open + 1, close - open - 1) : "";
        const std::size_t at = literal.empty() ? std::string::npos : text.find(literal);
        throw ScenarioError(source, at == std::string::npos ? 1 : lineOfOffset(text, at), "",
                            "not valid JSON: the number " + (literal.empty() ? message : literal) +
                                " is too large");
    }
    Validator v(source, text);
    if (!root.is_object()) {
        v.fail("", "a scenario file holds one JSON object");
    }
    return validate(v, root, source);
}

ParameterValues ScenarioLoader::resolveParameters(const Scenario& scenario,
                                                  const std::map<std::string, std::string>& overrides) {
    ParameterValues values;
    for (const auto& p : scenario.parameters) {
        values[p.name] = p.defaultValue;
    }
    for (const auto& [name, text] : overrides) {
        const ParameterSpec* p = scenario.parameter(name);
        if (p == nullptr) {
            std::string known;
            for (const auto& candidate : scenario.parameters) {
                known += (known.empty() ? "" : ", ") + candidate.name;
            }
            throw ScenarioError(scenario.source, 0, "--set " + name,
                                "scenario '" + scenario.id + "' has no parameter '" + name +
                                    "' (it has: " + (known.empty() ? "none" : known) + ")");
        }
        json value;
        if (p->type == ParameterSpec::Type::String) {
            value = text;
        } else {
            try {
                value = json::parse(text);
            } catch (const json::exception&) {
                value = text;
            }
        }
        try {
            Validator v(scenario.source, "{}");
            checkParameterValue(v, *p, value, "");
        } catch (const ScenarioError& e) {
            std::string message = e.what();
            throw ScenarioError(scenario.source, 0, "--set " + name, message.substr(message.find(": ") + 2));
        }
        values[name] = value;
    }
    return values;
}

std::int64_t ScenarioLoader::integerField(const json& value, const ParameterValues& parameters) {
    if (value.is_string()) {
        return parameters.at(value.get<std::string>().substr(1)).get<std::int64_t>();
    }
    return value.get<std::int64_t>();
}

bool ScenarioLoader::booleanField(const json& value, const ParameterValues& parameters) {
    if (value.is_string()) {
        return parameters.at(value.get<std::string>().substr(1)).get<bool>();
    }
    return value.get<bool>();
}

} // namespace forkscope
