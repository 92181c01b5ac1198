#pragma once

#include "process/fd_io.h"
#include "process/unique_fd.h"

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

/// One authenticated connection from a process to a manager, opened on first use and shared by
/// the copies of a proxy. It carries one request at a time: a second thread that calls while a
/// first one's request is in flight gets ProxyConcurrentUseError instead of a corrupted stream
/// (the guideline "a proxy used by two threads without a lock" made visible).
///
/// After a fork the child drops the inherited socket (it belongs to the parent's conversation)
/// and opens its own on its first call, as Python's proxies do after fork.
class ProxyConnection {
public:
    ProxyConnection(std::string address, std::vector<std::uint8_t> key, double callTimeout);
    ProxyConnection(const ProxyConnection&) = delete;
    ProxyConnection& operator=(const ProxyConnection&) = delete;
    ~ProxyConnection() = default;

    /// Sends a request and returns its "result". `replyWait` bounds the wait for the answer
    /// (std::nullopt only for a call that blocks without timeout on purpose; a vanished manager
    /// is still seen as EOF). Throws RemoteError for an error raised in the server,
    /// AuthenticationError for a wrong key, ManagerConnectionError when the manager is gone,
    /// TimeoutError when the answer is late (the connection is then dropped).
    nlohmann::json request(const nlohmann::json& message, fdio::Timeout replyWait);

    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    [[nodiscard]] const std::vector<std::uint8_t>& key() const noexcept { return key_; }
    [[nodiscard]] double callTimeout() const noexcept { return callTimeout_; }
    /// Whether a request is in flight right now.
    [[nodiscard]] bool inUse() const noexcept { return inUse_.load(); }
    /// Concurrent uses detected on this connection, and in this whole process.
    [[nodiscard]] std::uint64_t concurrentUses() const noexcept { return concurrentUses_.load(); }
    [[nodiscard]] static std::uint64_t concurrentUsesInProcess() noexcept;

    /// Closes the socket (the next request reconnects).
    void close();

private:
    void ensureOpen();

    std::string address_;
    std::vector<std::uint8_t> key_;
    double callTimeout_;
    UniqueFd fd_;
    std::atomic<pid_t> ownerPid_;
    std::atomic<bool> inUse_{false};
    std::atomic<std::uint64_t> concurrentUses_{0};
};

} // namespace forkscope
