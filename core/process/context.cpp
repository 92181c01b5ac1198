#include "context.h"

#include "errors.h"

#include <mutex>
#include <optional>

namespace forkscope {

namespace {
std::mutex g_mutex;
std::optional<StartMethod> g_method;
} // namespace

Context getContext() {
    return Context(getStartMethod());
}

Context getContext(StartMethod method) {
    return Context(method);
}

Context getContext(std::string_view method) {
    auto parsed = parseStartMethod(method);
    if (!parsed) {
        throw ProcessError("cannot find context for '" + std::string(method) +
                           "' (the start methods are fork, spawn and forkserver)");
    }
    return Context(*parsed);
}

void setStartMethod(StartMethod method, bool force) {
    std::lock_guard lock(g_mutex);
    if (g_method && !force) {
        throw ProcessError("the start method has already been set (to '" + std::string(toString(*g_method)) +
                           "'); pass force=true to change it");
    }
    g_method = method;
}

StartMethod getStartMethod() {
    std::lock_guard lock(g_mutex);
    if (!g_method) {
        g_method = StartMethod::Fork;
    }
    return *g_method;
}

} // namespace forkscope
