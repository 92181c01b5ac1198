#pragma once

#include "proxy_connection.h"

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forkscope {

/// A reference to an object held by a manager (Python's BaseProxy). Copies share one
/// connection; a proxy passed to a child (a start argument under any start method) is
/// serialised as address + key + object id and opens its own connection on first use there,
/// exactly as Python's proxies carry the authkey in their pickled form.
///
/// call() runs an exposed method of the referent; anything else is refused by the server. The
/// typed proxies (DictProxy, QueueProxy, ...) are thin, typed layers over call().
class Proxy {
public:
    using Json = nlohmann::json;

    Proxy() = default;
    /// `traceId`: the manager's trace object id, which call() reports ManagerCallBegin/End
    /// with (0: untraced).
    Proxy(std::shared_ptr<ProxyConnection> connection, std::uint64_t id, std::string typeId,
          std::uint64_t traceId = 0);

    /// Calls an exposed method with positional arguments (a JSON array), waiting up to the
    /// manager's call timeout for the answer. RemoteError carries a server-side failure.
    Json call(const std::string& method, Json args = Json::array()) const;
    /// The same for a method that may block: `timeout` is the method's own timeout (nullopt:
    /// it may block forever, and only the manager's death ends the wait).
    Json callBlocking(const std::string& method, Json args, std::optional<double> timeout) const;

    [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
    [[nodiscard]] const std::string& typeId() const noexcept { return typeId_; }
    [[nodiscard]] std::string address() const;
    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(connection_); }

    /// A proxy to the same object over a connection of its own (for another thread).
    [[nodiscard]] Proxy newConnection() const;
    /// Whether a call on this proxy's connection is in flight right now.
    [[nodiscard]] bool inUse() const noexcept;
    /// How many times concurrent use of one proxy connection was detected in this process.
    [[nodiscard]] static std::uint64_t concurrentUseDetections() noexcept;
    /// Drops the referent in the server (Python frees it with the last proxy; here it is
    /// explicit, or at shutdown). Later calls through any proxy of it fail with a RemoteError.
    void release() const;

    template <class Archive> void save(Archive& ar) const {
        checkValid("serialise");
        ar(connection_->address(), connection_->key(), connection_->callTimeout(), id_, typeId_, traceId_);
    }
    template <class Archive> void load(Archive& ar) {
        std::string address;
        std::vector<std::uint8_t> key;
        double callTimeout = 0;
        ar(address, key, callTimeout, id_, typeId_, traceId_);
        connection_ = std::make_shared<ProxyConnection>(std::move(address), std::move(key), callTimeout);
    }

protected:
    void checkValid(const char* operation) const;
    void expectType(const char* typeId) const;

private:
    Json traced(const std::string& method, const Json& request, fdio::Timeout wait) const;

    std::shared_ptr<ProxyConnection> connection_;
    std::uint64_t id_ = 0;
    std::string typeId_;
    std::uint64_t traceId_ = 0;
};

} // namespace forkscope
