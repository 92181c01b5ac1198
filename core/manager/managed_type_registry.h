#pragma once

#include "managed_object.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope {

/// How the server makes an object of a type from the arguments of Manager::create().
using ManagedFactory =
    std::function<std::unique_ptr<ManagedObject>(const nlohmann::json& args, const ObjectLookup& lookup)>;
using SimpleManagedFactory = std::function<std::unique_ptr<ManagedObject>(const nlohmann::json& args)>;

struct ManagedType {
    std::string typeId;
    ManagedFactory factory;
    std::set<std::string> exposed; ///< the only method names a proxy may call
    bool serializeCalls = true;    ///< the server runs one call at a time on each object
};

/// The types a manager can hold (Python's BaseManager.register(typeid, callable, exposed)).
///
/// The server is a fresh image of the program, so a type must be registered by a static
/// initialiser of the binary (FORKSCOPE_MANAGED_TYPE), exactly like a task: a registration
/// made at run time in the parent would not exist in the server.
class ManagedTypeRegistry {
public:
    /// Registers a type. Registering one type id twice aborts at start-up, since proxies could
    /// otherwise reach the wrong code.
    static bool add(std::string typeId, ManagedFactory factory, std::vector<std::string> exposed,
                    bool serializeCalls = true);
    static bool add(std::string typeId, SimpleManagedFactory factory, std::vector<std::string> exposed,
                    bool serializeCalls = true);
    [[nodiscard]] static std::shared_ptr<const ManagedType> find(std::string_view typeId);
};

} // namespace forkscope

/// Registers a user type for the manager: a type id, a factory
/// `std::unique_ptr<ManagedObject>(const nlohmann::json& args)` and the exposed method names.
#define FORKSCOPE_MANAGED_TYPE(typeId, factory, ...)                                                         \
    [[maybe_unused]] static const bool FORKSCOPE_MANAGED_CONCAT(forkscopeManagedType_, __LINE__) =           \
        ::forkscope::ManagedTypeRegistry::add(typeId, ::forkscope::SimpleManagedFactory(factory),            \
                                              std::vector<std::string>{__VA_ARGS__})
#define FORKSCOPE_MANAGED_CONCAT_INNER(a, b) a##b
#define FORKSCOPE_MANAGED_CONCAT(a, b) FORKSCOPE_MANAGED_CONCAT_INNER(a, b)
