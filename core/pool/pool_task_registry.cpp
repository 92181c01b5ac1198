#include "pool_task_registry.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace forkscope {

namespace {

struct Entry {
    std::string name;
    PoolTaskRegistry::Key fn = nullptr;
    detail::PoolInvoker invoker = nullptr;
};

struct Registry {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, Entry> byId;
    std::unordered_map<PoolTaskRegistry::Key, std::uint64_t> byFunction;
};

// Filled by static initialisers, so it must exist before any of them: a function-local static.
Registry& registry() {
    static auto* instance = new Registry; // never destroyed: workers may look up during exit
    return *instance;
}

std::uint64_t hashName(std::string_view name) {
    std::uint64_t hash = 1469598103934665603ULL; // FNV-1a
    for (char c : name) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash == 0 ? 1 : hash; // 0 means "a closure" on the wire
}

} // namespace

bool PoolTaskRegistry::add(std::string_view name, Key fn, detail::PoolInvoker invoker) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    const std::uint64_t id = hashName(name);
    auto [it, inserted] = r.byId.try_emplace(id, Entry{std::string(name), fn, invoker});
    if (!inserted && it->second.fn != fn) {
        std::fprintf(stderr,
                     "forkscope: pool task '%.*s' registered twice for different functions (or its name "
                     "collides with '%s'); a worker could run the wrong code\n",
                     static_cast<int>(name.size()), name.data(), it->second.name.c_str());
        std::abort();
    }
    r.byFunction[fn] = id;
    return true;
}

std::uint64_t PoolTaskRegistry::idOf(Key fn) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.byFunction.find(fn);
    return it == r.byFunction.end() ? 0 : it->second;
}

detail::PoolInvoker PoolTaskRegistry::find(std::uint64_t id) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.byId.find(id);
    return it == r.byId.end() ? nullptr : it->second.invoker;
}

std::string PoolTaskRegistry::nameOf(std::uint64_t id) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.byId.find(id);
    return it == r.byId.end() ? std::string() : it->second.name;
}

} // namespace forkscope
