#include "proxy_connection.h"

#include "manager_address.h"
#include "manager_errors.h"
#include "process/auth_handshake.h"
#include "process/errors.h"
#include "wire_format.h"

#include <cerrno>
#include <poll.h>
#include <string_view>
#include <unistd.h>

namespace forkscope {

namespace {

std::atomic<std::uint64_t> processConcurrentUses{0};

constexpr double kHandshakeTimeout = 10.0;

/// Clears the in-use flag however the request ends.
class InUseGuard {
public:
    explicit InUseGuard(std::atomic<bool>& flag) noexcept : flag_(flag) {}
    InUseGuard(const InUseGuard&) = delete;
    InUseGuard& operator=(const InUseGuard&) = delete;
    ~InUseGuard() { flag_.store(false); }

private:
    std::atomic<bool>& flag_;
};

std::string describe(const nlohmann::json& message) {
    if (auto it = message.find("method"); it != message.end() && it->is_string()) {
        return "'" + it->get<std::string>() + "'";
    }
    if (auto it = message.find("op"); it != message.end() && it->is_string()) {
        return "the " + it->get<std::string>() + " request";
    }
    return "a request";
}

} // namespace

ProxyConnection::ProxyConnection(std::string address, std::vector<std::uint8_t> key, double callTimeout)
    : address_(std::move(address)), key_(std::move(key)), callTimeout_(callTimeout), ownerPid_(::getpid()) {}

std::uint64_t ProxyConnection::concurrentUsesInProcess() noexcept {
    return processConcurrentUses.load();
}

void ProxyConnection::close() {
    fd_.reset();
}

void ProxyConnection::ensureOpen() {
    if (fd_) {
        return;
    }
    UniqueFd fd = ManagerAddress::parse(address_).connect();
    try {
        auth::clientHandshake(fd.get(), key_, kHandshakeTimeout);
    } catch (const AuthenticationError& e) {
        if (std::string_view(e.what()).find("peer closed") != std::string_view::npos) {
            // EOF in the middle of the handshake is a server that went away, not a wrong key.
            throw ManagerConnectionError("the manager at " + address_ +
                                         " closed the connection during authentication (was it shut down, "
                                         "or killed?)");
        }
        // Let the server finish with us (it closes after its verdict), so that its counters
        // already show the refusal when the caller sees the error.
        fdio::waitFor(fd.get(), POLLIN, 1.0);
        throw AuthenticationError("the manager at " + address_ + " refused this connection: " + e.what());
    } catch (const std::exception& e) {
        throw ManagerConnectionError("authenticating with the manager at " + address_ +
                                     " failed: " + e.what());
    }
    fd_ = std::move(fd);
}

nlohmann::json ProxyConnection::request(const nlohmann::json& message, fdio::Timeout replyWait) {
    if (ownerPid_.load() != ::getpid()) {
        // We are a forked child and the only thread here: the socket (and a flag that may
        // have been set by another thread of the parent at fork time) are the parent's.
        fd_.reset();
        inUse_.store(false);
        concurrentUses_.store(0);
        ownerPid_.store(::getpid());
    }
    if (inUse_.exchange(true)) {
        ++concurrentUses_;
        ++processConcurrentUses;
        throw ProxyConcurrentUseError(
            "proxy connection to the manager at " + address_ +
            " used by two threads at once (while calling " + describe(message) +
            "): a proxy carries one call at a time; guard it with a lock or give each thread its own proxy "
            "(Proxy::newConnection())");
    }
    InUseGuard guard(inUse_);

    const std::vector<std::uint8_t> payload = wire::encode(message);
    ensureOpen();
    std::optional<std::vector<std::uint8_t>> reply;
    try {
        wire::writeMessage(fd_.get(), payload, callTimeout_);
        reply = wire::readMessage(fd_.get(), replyWait, callTimeout_);
    } catch (const TimeoutError& e) {
        fd_.reset(); // the answer may still come: this stream is out of step now
        throw TimeoutError("no answer from the manager at " + address_ + " to " + describe(message) + ": " +
                           e.what());
    } catch (const OsError& e) {
        fd_.reset();
        throw ManagerConnectionError("lost the connection to the manager at " + address_ + " while calling " +
                                     describe(message) + ": " + e.what() + " (was it shut down, or killed?)");
    } catch (const wire::ProtocolError& e) {
        fd_.reset();
        throw ManagerConnectionError("bad answer from the manager at " + address_ + ": " + e.what());
    }
    if (!reply) {
        fd_.reset();
        throw ManagerConnectionError("the manager at " + address_ + " closed the connection while calling " +
                                     describe(message) + " (it was shut down, or killed)");
    }
    nlohmann::json answer;
    try {
        answer = wire::decode(*reply);
    } catch (const wire::ProtocolError& e) {
        fd_.reset();
        throw ManagerConnectionError("bad answer from the manager at " + address_ + ": " + e.what());
    }
    if (!answer.is_object() || !answer.contains("ok")) {
        fd_.reset();
        throw ManagerConnectionError("bad answer from the manager at " + address_ + ": not a reply");
    }
    if (answer["ok"] != true) {
        auto text = [&](const char* field) {
            auto it = answer.find(field);
            return it != answer.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        if (text("type") == "ProtocolError") {
            fd_.reset(); // the server ends a connection after a protocol error
        }
        throw RemoteError(text("type"), text("method"), text("message"));
    }
    return answer.value("result", nlohmann::json());
}

} // namespace forkscope
