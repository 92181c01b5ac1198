#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forkscope {

/// The vocabulary of scenario files: which shared objects exist, which actions a process can
/// take and which fields each action has. The loader validates against it, the runner
/// executes it, and the JSON Schema in resources/ is generated from it, so the three cannot
/// drift apart.
class ActionCatalog {
public:
    enum class FieldType { Integer, Boolean, String, ObjectRef, ProcessRef, Actions };

    struct Field {
        std::string name;
        FieldType type;
        bool required;
        std::vector<std::string> objectKinds; ///< for ObjectRef: the kinds it accepts
        std::string description;
    };

    struct Verb {
        std::string name;
        std::string description;
        std::vector<Field> fields;
    };

    struct ObjectKind {
        std::string name;
        std::string description;
        std::vector<Field> options; ///< integer/boolean options such as maxsize or parties
    };

    [[nodiscard]] static const std::vector<Verb>& verbs();
    [[nodiscard]] static const Verb* verb(std::string_view name);
    [[nodiscard]] static const std::vector<ObjectKind>& objectKinds();
    [[nodiscard]] static const ObjectKind* objectKind(std::string_view name);
    [[nodiscard]] static std::string typeName(FieldType type);
    /// Kinds only main may use: objects that belong to the process that made them (a Pool, whose
    /// result handler and workers live in it), so they are never passed to another process.
    [[nodiscard]] static bool mainOnly(std::string_view kind);

    /// The JSON Schema (draft 2020-12) of the scenario file format.
    [[nodiscard]] static nlohmann::json schema();
};

} // namespace forkscope
