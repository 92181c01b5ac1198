#pragma once

#include <optional>
#include <string_view>

namespace forkscope {

/// How a child process gets its program image (see the "Contexts and start methods" seed).
enum class StartMethod {
    Fork,       ///< fork(): the child inherits the parent's memory; any callable can run.
    Spawn,      ///< exec of a fresh image of the host program; arguments must be serialisable.
    Forkserver, ///< a fresh single-threaded server forks children on request.
};

[[nodiscard]] std::string_view toString(StartMethod method) noexcept;
[[nodiscard]] std::optional<StartMethod> parseStartMethod(std::string_view name) noexcept;

} // namespace forkscope
