#pragma once

#include "container_proxies.h"
#include "proxy.h"
#include "sync_proxies.h"

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace forkscope {

struct ManagerOptions {
    /// Empty: a Unix socket file in a private 0700 directory (the default). "host:port": TCP, so
    /// that processes on another machine can reach it (port 0 picks a free port).
    std::string address;
    /// Empty: 32 random bytes, kept in this process and carried by the proxies it hands out.
    std::vector<std::uint8_t> authkey;
    /// How long a non-blocking call may wait for its answer (seconds).
    double callTimeout = 30.0;
    /// How long start() waits for the server image to be ready.
    double startTimeout = 15.0;
};

/// Python's multiprocessing.Manager() / SyncManager: a server process that holds objects which
/// other processes use through proxies.
///
/// The server is a fresh, single-threaded-at-start image of the program (role
/// --forkscope-manager, so main() must call freezeSupport first), forked and exec'ed like a
/// spawn child; it serves one thread per client connection. Every connection passes a two-way
/// HMAC-SHA256 challenge before anything it sends is decoded. The key reaches the server
/// through an inherited pipe, never argv or the environment.
///
/// Values are JSON-like (nlohmann::json): the analogue of "any picklable value" in Python.
/// A Manager owns its server: shutdown() (also run by the destructor) stops it and removes its
/// socket file and directory. Thread-safe.
class Manager {
public:
    using Json = nlohmann::json;

    explicit Manager(ManagerOptions options = {});
    /// A client of a manager started elsewhere (Python's BaseManager(address, authkey).connect()).
    /// It does not own the server: shutdown() only drops its connections.
    static Manager connect(const std::string& address, std::vector<std::uint8_t> authkey,
                           double callTimeout = 30.0);

    Manager(Manager&&) noexcept;
    Manager& operator=(Manager&&) noexcept;
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;
    ~Manager();

    /// Starts the server and waits until it is ready. Twice is a ProcessError.
    void start();
    /// Stops the server (asks it, then kills it after 5 s), reaps it, removes its socket file
    /// and directory. Idempotent; a no-op in any process but the one that started it.
    void shutdown();
    [[nodiscard]] bool running() const;
    /// The address proxies connect to ("/.../manager.sock" or "host:port").
    [[nodiscard]] std::string address() const;
    [[nodiscard]] const std::vector<std::uint8_t>& authkey() const;
    /// The server's pid (only in the process that started it).
    [[nodiscard]] std::optional<pid_t> serverPid() const;
    /// The server's counters: objects, connectionsAccepted, connectionsRefused,
    /// activeConnections, authFailures, protocolErrors, decodedRequests (this one included), pid.
    [[nodiscard]] Json serverStats();

    /// An object of any registered type (FORKSCOPE_MANAGED_TYPE), or of a built-in one by its
    /// Python name ("dict", "list", "Namespace", "Value", ...).
    Proxy create(const std::string& typeId, Json args = Json::array());

    DictProxy dict(Json initial = Json::object());
    ListProxy list(Json initial = Json::array());
    /// Python's Namespace() (namespace is a C++ keyword).
    NamespaceProxy makeNamespace(Json attributes = Json::object());
    ValueProxy value(const std::string& typecode, Json initial);
    ArrayProxy array(const std::string& typecode, Json items);
    QueueProxy queue(long long maxsize = 0);
    LockProxy lock();
    RLockProxy rlock();
    SemaphoreProxy semaphore(long long value = 1);
    BoundedSemaphoreProxy boundedSemaphore(long long value = 1);
    /// A Condition with its own RLock, or over a managed Lock/RLock of this manager.
    ConditionProxy condition();
    ConditionProxy condition(const LockProxy& lock);
    EventProxy event();
    BarrierProxy barrier(std::size_t parties, std::optional<double> timeout = std::nullopt);

private:
    struct Impl;
    explicit Manager(std::unique_ptr<Impl> impl);
    Json control(const Json& request);
    std::unique_ptr<Impl> d_;
};

} // namespace forkscope
