#include "start_method.h"

namespace forkscope {

std::string_view toString(StartMethod method) noexcept {
    switch (method) {
    case StartMethod::Fork:
        return "fork";
    case StartMethod::Spawn:
        return "spawn";
    case StartMethod::Forkserver:
        return "forkserver";
    }
    return "unknown";
}

std::optional<StartMethod> parseStartMethod(std::string_view name) noexcept {
    for (auto method : {StartMethod::Fork, StartMethod::Spawn, StartMethod::Forkserver}) {
        if (toString(method) == name) {
            return method;
        }
    }
    return std::nullopt;
}

} // namespace forkscope
