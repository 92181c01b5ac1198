#pragma once

#include "process/unique_fd.h"

#include <cstdint>
#include <string>

namespace forkscope {

/// Where a manager listens: a Unix socket file ("/run/user/1000/forkscope-mgr-AbC123/manager.sock",
/// always a path, never the abstract namespace) or TCP ("127.0.0.1:50000", "[::1]:50000",
/// "host:port"). A string form travels inside serialised proxies.
class ManagerAddress {
public:
    enum class Kind { Unix, Tcp };

    /// A leading '/' means a Unix socket path; anything else is host:port.
    static ManagerAddress parse(const std::string& text);

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] const std::string& host() const noexcept { return host_; }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] std::string toString() const;

    /// Binds and listens (CLOEXEC). For TCP a port of 0 picks a free port, and the address is
    /// updated with the real one. The caller makes the private directory of a Unix socket.
    UniqueFd listen();
    /// Connects (CLOEXEC). Throws ManagerConnectionError when nobody listens there.
    [[nodiscard]] UniqueFd connect() const;

private:
    Kind kind_ = Kind::Unix;
    std::string path_;
    std::string host_;
    std::uint16_t port_ = 0;
};

} // namespace forkscope
