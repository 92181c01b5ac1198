#pragma once

#include "call_context.h"
#include "managed_type_registry.h"
#include "process/unique_fd.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

namespace forkscope {

/// The manager's server (Python's multiprocessing.managers.Server): runs in a fresh image of the
/// program started with --forkscope-manager, holds the managed objects and serves each client
/// connection in its own thread, so a blocking call (Lock.acquire, Queue.get, Event.wait,
/// Barrier.wait) blocks only its caller.
///
/// Nothing a peer sends is decoded before it has passed the HMAC handshake; afterwards every
/// message is size- and depth-capped CBOR. The counters returned by the "stats" request make
/// that observable (decodedRequests does not move when garbage is sent to the port).
class ManagerServer {
public:
    ManagerServer(std::vector<std::uint8_t> key, UniqueFd listener, UniqueFd alive, bool unixSocket);

    /// Accepts connections until a client asks for shutdown or the program closes the alive
    /// pipe (it shut down or died).
    void serve();

    /// The flag that selects this role in freezeSupport().
    static constexpr const char* kRoleFlag = "--forkscope-manager";
    static constexpr std::size_t kMaxConnections = 512;
    static constexpr double kHandshakeTimeout = 5.0;
    static constexpr double kMessageTimeout = 30.0; ///< for the body of a message once it started

private:
    struct Entry {
        std::shared_ptr<ManagedObject> object;
        std::shared_ptr<const ManagedType> type;
        std::shared_ptr<std::mutex> callMutex;
    };

    void acceptOne();
    void serveConnection(UniqueFd connection, std::uint64_t connectionId);
    nlohmann::json handle(const nlohmann::json& request, CallContext& context, bool& stop);
    nlohmann::json create(const nlohmann::json& request);
    nlohmann::json callMethod(const nlohmann::json& request, CallContext& context);
    nlohmann::json stats();
    std::shared_ptr<ManagedObject> lookup(std::uint64_t id);

    std::vector<std::uint8_t> key_;
    UniqueFd listener_;
    UniqueFd alive_;
    UniqueFd stopRead_;
    UniqueFd stopWrite_;
    bool unixSocket_;

    std::mutex objectsMutex_;
    std::map<std::uint64_t, Entry> objects_;
    std::uint64_t nextObjectId_ = 1;
    std::atomic<std::uint64_t> nextConnectionId_{1};

    std::atomic<std::uint64_t> connectionsAccepted_{0};
    std::atomic<std::uint64_t> connectionsRefused_{0};
    std::atomic<std::uint64_t> activeConnections_{0};
    std::atomic<std::uint64_t> authFailures_{0};
    std::atomic<std::uint64_t> protocolErrors_{0};
    std::atomic<std::uint64_t> decodedRequests_{0};
};

/// The entry of the manager image: reads the key from its pipe, serves, cleans up, exits.
[[noreturn]] void runManagerServer(int argc, char** argv);

} // namespace forkscope
