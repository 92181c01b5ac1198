#include "proxy.h"

#include "process/errors.h"

namespace forkscope {

Proxy::Proxy(std::shared_ptr<ProxyConnection> connection, std::uint64_t id, std::string typeId)
    : connection_(std::move(connection)), id_(id), typeId_(std::move(typeId)) {}

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
    return connection_->request(
        Json{{"op", "call"}, {"id", id_}, {"method", method}, {"args", std::move(args)}},
        connection_->callTimeout());
}

Proxy::Json Proxy::callBlocking(const std::string& method, Json args, std::optional<double> timeout) const {
    checkValid("call through");
    fdio::Timeout wait;
    if (timeout) {
        // The server ends the wait at `timeout`; the margin covers the round trip.
        wait = std::max(0.0, *timeout) + connection_->callTimeout();
    }
    return connection_->request(
        Json{{"op", "call"}, {"id", id_}, {"method", method}, {"args", std::move(args)}}, wait);
}

std::string Proxy::address() const {
    checkValid("ask the address of");
    return connection_->address();
}

Proxy Proxy::newConnection() const {
    checkValid("copy");
    return Proxy(std::make_shared<ProxyConnection>(connection_->address(), connection_->key(),
                                                   connection_->callTimeout()),
                 id_, typeId_);
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
