#pragma once

#include <stdexcept>
#include <string>

namespace forkscope {

/// An exception raised inside the manager's server while it ran a method, sent back to the
/// caller (Python's multiprocessing.managers.RemoteError). type() is the server-side error kind
/// in Python's vocabulary ("KeyError", "IndexError", "ValueError", "AttributeError" for a method
/// the type does not expose, "BrokenBarrierError", "RuntimeError" for anything else).
class RemoteError : public std::runtime_error {
public:
    RemoteError(std::string type, std::string method, std::string message)
        : std::runtime_error(type + " in the manager while calling " + (method.empty() ? "?" : method) +
                             ": " + message),
          type_(std::move(type)), method_(std::move(method)), message_(std::move(message)) {}

    [[nodiscard]] const std::string& type() const noexcept { return type_; }
    [[nodiscard]] const std::string& method() const noexcept { return method_; }
    /// The server-side message alone, without the type and method prefix.
    [[nodiscard]] const std::string& message() const noexcept { return message_; }

private:
    std::string type_;
    std::string method_;
    std::string message_;
};

/// A proxy was used by a second thread while a first thread's call on the same connection was
/// still in flight. One connection carries one call at a time; serialise the use with a lock,
/// or give each thread its own proxy (Proxy::newConnection()).
class ProxyConcurrentUseError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

/// The manager cannot be reached or went away mid-call: the server was shut down or killed,
/// the address is wrong, or the connection was broken. Never a hang: a vanished server is seen
/// as EOF or a refused connection.
class ManagerConnectionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace forkscope
