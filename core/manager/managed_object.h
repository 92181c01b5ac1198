#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace forkscope {

class CallContext;

/// An object held by the manager's server (the referent of a proxy). The server calls call()
/// only with a method name that the object's type exposes; args is what the proxy sent (a JSON
/// array of positional arguments by convention) and the result goes back to the caller.
///
/// call() may run in several connection threads at once. A registered type asks the server to
/// serialise its calls (the default); the built-in synchronisation types block inside call() and
/// do their own locking, waiting through CallContext so that a waiting call ends when its
/// client hangs up.
class ManagedObject {
public:
    ManagedObject() = default;
    ManagedObject(const ManagedObject&) = delete;
    ManagedObject& operator=(const ManagedObject&) = delete;
    virtual ~ManagedObject() = default;

    virtual nlohmann::json call(const std::string& method, const nlohmann::json& args,
                                CallContext& context) = 0;

    /// args[index], or null when the caller passed fewer arguments.
    static const nlohmann::json& argument(const nlohmann::json& args, std::size_t index);
};

/// An error a managed object reports in Python's vocabulary; it reaches the caller as a
/// RemoteError whose type() is `type`. Any other exception becomes a "RuntimeError".
class ManagedError : public std::runtime_error {
public:
    ManagedError(std::string type, const std::string& message)
        : std::runtime_error(message), type_(std::move(type)) {}
    [[nodiscard]] const std::string& type() const noexcept { return type_; }

private:
    std::string type_;
};

/// Finds another object of the same server by id (a Condition built on a managed Lock); null
/// if there is none.
using ObjectLookup = std::function<std::shared_ptr<ManagedObject>(std::uint64_t id)>;

} // namespace forkscope
