#pragma once

#include "process.h"
#include "start_method.h"

#include <string_view>

namespace forkscope {

/// A start method and the API bound to it (Python's multiprocessing.get_context()).
class Context {
public:
    explicit Context(StartMethod method) noexcept : method_(method) {}
    [[nodiscard]] StartMethod startMethod() const noexcept { return method_; }
    [[nodiscard]] Process process(Target target, Args args = {}, ProcessOptions options = {}) const {
        return Process(*this, std::move(target), std::move(args), std::move(options));
    }

private:
    StartMethod method_;
};

/// The context of the process-wide default start method; using it fixes the default.
[[nodiscard]] Context getContext();
[[nodiscard]] Context getContext(StartMethod method);
/// By name ("fork", "spawn", "forkserver"); an unknown name throws ProcessError.
[[nodiscard]] Context getContext(std::string_view method);

/// Sets the process-wide default once. A second call (or a call after the default was used)
/// throws ProcessError unless force is true. The default default is fork, as on POSIX in the
/// seed documents.
void setStartMethod(StartMethod method, bool force = false);
[[nodiscard]] StartMethod getStartMethod();

} // namespace forkscope
