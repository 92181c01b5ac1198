#include "managed_type_registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace forkscope {

namespace {
struct Registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const ManagedType>, std::less<>> types;
};

Registry& registry() {
    static Registry instance;
    return instance;
}
} // namespace

bool ManagedTypeRegistry::add(std::string typeId, ManagedFactory factory, std::vector<std::string> exposed,
                              bool serializeCalls) {
    auto type = std::make_shared<ManagedType>();
    type->typeId = typeId;
    type->factory = std::move(factory);
    type->exposed = std::set<std::string>(exposed.begin(), exposed.end());
    type->serializeCalls = serializeCalls;
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    if (!r.types.emplace(typeId, std::move(type)).second) {
        std::fprintf(stderr, "forkscope: the managed type '%s' is registered twice\n", typeId.c_str());
        std::abort();
    }
    return true;
}

bool ManagedTypeRegistry::add(std::string typeId, SimpleManagedFactory factory,
                              std::vector<std::string> exposed, bool serializeCalls) {
    return add(std::move(typeId),
               ManagedFactory([f = std::move(factory)](const nlohmann::json& args, const ObjectLookup&) {
                   return f(args);
               }),
               std::move(exposed), serializeCalls);
}

std::shared_ptr<const ManagedType> ManagedTypeRegistry::find(std::string_view typeId) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.types.find(typeId);
    return it == r.types.end() ? nullptr : it->second;
}

} // namespace forkscope
