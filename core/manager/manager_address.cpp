#include "manager_address.h"

#include "manager_errors.h"
#include "process/errors.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace forkscope {

namespace {

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path[0] != '/' || path.size() >= sizeof addr.sun_path) {
        throw OsError("manager socket path must be absolute and shorter than " +
                          std::to_string(sizeof addr.sun_path) + " bytes: '" + path + "'",
                      ENAMETOOLONG);
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

struct AddrInfoDeleter {
    void operator()(addrinfo* info) const noexcept { ::freeaddrinfo(info); }
};

std::unique_ptr<addrinfo, AddrInfoDeleter> resolve(const std::string& host, std::uint16_t port,
                                                   bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    addrinfo* result = nullptr;
    const std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &result);
    if (rc != 0) {
        throw ManagerConnectionError("cannot resolve manager host '" + host + "': " + ::gai_strerror(rc));
    }
    return std::unique_ptr<addrinfo, AddrInfoDeleter>(result);
}

} // namespace

ManagerAddress ManagerAddress::parse(const std::string& text) {
    ManagerAddress address;
    if (!text.empty() && text[0] == '/') {
        address.kind_ = Kind::Unix;
        address.path_ = text;
        return address;
    }
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size()) {
        throw ManagerConnectionError("manager address '" + text +
                                     "' is neither a socket path (/...) nor host:port");
    }
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    char* end = nullptr;
    const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        throw ManagerConnectionError("manager address '" + text + "' has a bad port");
    }
    address.kind_ = Kind::Tcp;
    address.host_ = host;
    address.port_ = static_cast<std::uint16_t>(port);
    return address;
}

std::string ManagerAddress::toString() const {
    if (kind_ == Kind::Unix) {
        return path_;
    }
    const bool v6 = host_.find(':') != std::string::npos;
    return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

UniqueFd ManagerAddress::listen() {
    if (kind_ == Kind::Unix) {
        UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!listener) {
            throw OsError("socket for the manager", errno);
        }
        sockaddr_un addr = unixAddress(path_);
        if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw OsError("bind of the manager socket " + path_, errno);
        }
        ::chmod(path_.c_str(), 0600);
        if (::listen(listener.get(), 128) != 0) {
            throw OsError("listen on " + path_, errno);
        }
        return listener;
    }
    auto info = resolve(host_, port_, true);
    int lastError = EADDRNOTAVAIL;
    for (addrinfo* ai = info.get(); ai != nullptr; ai = ai->ai_next) {
        UniqueFd listener(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!listener) {
            lastError = errno;
            continue;
        }
        int one = 1;
        ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(listener.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(listener.get(), 128) != 0) {
            lastError = errno;
            continue;
        }
        sockaddr_storage bound{};
        socklen_t length = sizeof bound;
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length);
        port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
        return listener;
    }
    throw OsError("listen for the manager on " + toString(), lastError);
}

UniqueFd ManagerAddress::connect() const {
    auto attempt = [](int family, int type, int protocol, const sockaddr* addr, socklen_t length) {
        UniqueFd fd(::socket(family, type | SOCK_CLOEXEC, protocol));
        if (!fd) {
            throw OsError("socket", errno);
        }
        int rc = 0;
        do {
            rc = ::connect(fd.get(), addr, length);
        } while (rc != 0 && errno == EINTR);
        return rc == 0 ? std::move(fd) : UniqueFd();
    };
    if (kind_ == Kind::Unix) {
        sockaddr_un addr = unixAddress(path_);
        UniqueFd fd = attempt(AF_UNIX, SOCK_STREAM, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (!fd) {
            throw ManagerConnectionError("cannot connect to the manager at " + path_ + ": " +
                                         std::strerror(errno) + " (was it shut down, or killed?)");
        }
        return fd;
    }
    auto info = resolve(host_, port_, false);
    int lastError = ECONNREFUSED;
    for (addrinfo* ai = info.get(); ai != nullptr; ai = ai->ai_next) {
        UniqueFd fd = attempt(ai->ai_family, ai->ai_socktype, ai->ai_protocol, ai->ai_addr, ai->ai_addrlen);
        if (fd) {
            int one = 1; // requests are small and answered one by one: do not wait for Nagle
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        lastError = errno;
    }
    throw ManagerConnectionError("cannot connect to the manager at " + toString() + ": " +
                                 std::strerror(lastError) + " (was it shut down, or killed?)");
}

} // namespace forkscope
