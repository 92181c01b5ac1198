#include "proxy.h"

#include "events/emit.h"
#include "process/errors.h"

#include <string_view>

namespace forkscope {

namespace {
/// The method id in ManagerCallBegin: FNV-1a (64 bits) of the method's name, stable across
/// processes and runs, so a reader can map it back from the names a type exposes.
std::uint64_t methodId(std::string_view name) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : name) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return hash;
}
} // namespace

Proxy::Proxy(std::shared_ptr<ProxyConnection> connection, std::uint64_t id, std::string typeId,
             std::uint64_t traceId)
    : connection_(std::move(connection)), id_(id), typeId_(std::move(typeId)), traceId_(traceId) {}

Proxy::Json Proxy::traced(const std::string& method, const Json& request, fdio::Timeout wait) const {
    if (traceId_ == 0 || !trace::enabled()) {
        return connection_->request(request, wait);
    }
    // aux: the referent's id in the manager, so calls on different objects stay apart.
    const auto referent = static_cast<std::uint32_t>(id_);
    trace::emit(EventType::ManagerCallBegin, traceId_, methodId(method), referent);
    try {
        Json result = connection_->request(request, wait);
        trace::emit(EventType::ManagerCallEnd, traceId_, 0, referent);
        return result;
    } catch (...) {
        trace::emit(EventType::ManagerCallEnd, traceId_, 1, referent);
        throw;
    }
}

void Proxy::checkValid(const char* operation) const {
    if (!connection_) {
        throw ProcessError(std::string("cannot ") + operation +
                           " an empty proxy (made by default, not by a manager)");
    }
}

void Proxy::expectType(const char* typeId) const {
    if (connection_ && typeId_ != typeId) {
        throw ProcessError("a proxy of a '" + typeId_ + "' object cannot be used as a " + typeId + " proxy");
    }
}

Proxy::Json Proxy::call(const std::string& method, Json args) const {
    checkValid("call through");
    return traced(method, Json{{"op", "call"}, {"id", id_}, {"method", method}, {"args", std::move(args)}},
                  connection_->callTimeout());
}

Proxy::Json Proxy::callBlocking(const std::string& method, Json args, std::optional<double> timeout) const {
    checkValid("call through");
    fdio::Timeout wait;
    if (timeout) {
        // The server ends the wait at `timeout`; the margin covers the round trip.
        wait = std::max(0.0, *timeout) + connection_->callTimeout();
    }
    return traced(method, Json{{"op", "call"}, {"id", id_}, {"method", method}, {"args", std::move(args)}},
                  wait);
}

std::string Proxy::address() const {
    checkValid("ask the address of");
    return connection_->address();
}

Proxy Proxy::newConnection() const {
    checkValid("copy");
    return Proxy(std::make_shared<ProxyConnection>(connection_->address(), connection_->key(),
                                                   connection_->callTimeout()),
                 id_, typeId_, traceId_);
}

bool Proxy::inUse() const noexcept {
    return connection_ && connection_->inUse();
}

std::uint64_t Proxy::concurrentUseDetections() noexcept {
    return ProxyConnection::concurrentUsesInProcess();
}

void Proxy::release() const {
    checkValid("release");
    connection_->request(Json{{"op", "release"}, {"id", id_}}, connection_->callTimeout());
}

} // namespace forkscope
