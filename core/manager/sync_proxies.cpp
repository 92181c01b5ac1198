#include "sync_proxies.h"

namespace forkscope {

namespace {
using Json = nlohmann::json;

Json timeoutJson(std::optional<double> timeout) {
    return timeout ? Json(*timeout) : Json(nullptr);
}

/// How long the reply may take: a non-blocking attempt answers at once.
std::optional<double> waitFor(bool block, std::optional<double> timeout) {
    return block ? timeout : std::optional<double>(0.0);
}
} // namespace

LockProxy::LockProxy(Proxy proxy) : LockProxy(std::move(proxy), "Lock") {}
LockProxy::LockProxy(Proxy proxy, const char* typeId) : Proxy(std::move(proxy)) {
    expectType(typeId);
}
bool LockProxy::acquire(bool block, std::optional<double> timeout) const {
    return callBlocking("acquire", {block, timeoutJson(timeout)}, waitFor(block, timeout)).get<bool>();
}
void LockProxy::release() const {
    call("release");
}

RLockProxy::RLockProxy(Proxy proxy) : LockProxy(std::move(proxy), "RLock") {}

SemaphoreProxy::SemaphoreProxy(Proxy proxy) : SemaphoreProxy(std::move(proxy), "Semaphore") {}
SemaphoreProxy::SemaphoreProxy(Proxy proxy, const char* typeId) : Proxy(std::move(proxy)) {
    expectType(typeId);
}
bool SemaphoreProxy::acquire(bool block, std::optional<double> timeout) const {
    return callBlocking("acquire", {block, timeoutJson(timeout)}, waitFor(block, timeout)).get<bool>();
}
void SemaphoreProxy::release(long long n) const {
    call("release", {n});
}
long long SemaphoreProxy::value() const {
    return call("get_value").get<long long>();
}

BoundedSemaphoreProxy::BoundedSemaphoreProxy(Proxy proxy)
    : SemaphoreProxy(std::move(proxy), "BoundedSemaphore") {}

ConditionProxy::ConditionProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Condition");
}
bool ConditionProxy::acquire(bool block, std::optional<double> timeout) const {
    return callBlocking("acquire", {block, timeoutJson(timeout)}, waitFor(block, timeout)).get<bool>();
}
void ConditionProxy::release() const {
    call("release");
}
bool ConditionProxy::wait(std::optional<double> timeout) const {
    // After the notification the lock must be re-acquired, which has no timeout (as in Python).
    return callBlocking("wait", Json::array({timeoutJson(timeout)}), std::nullopt).get<bool>();
}
void ConditionProxy::notify(std::size_t n) const {
    call("notify", {n});
}
void ConditionProxy::notifyAll() const {
    call("notify_all");
}

EventProxy::EventProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Event");
}
void EventProxy::set() const {
    call("set");
}
void EventProxy::clear() const {
    call("clear");
}
bool EventProxy::isSet() const {
    return call("is_set").get<bool>();
}
bool EventProxy::wait(std::optional<double> timeout) const {
    return callBlocking("wait", Json::array({timeoutJson(timeout)}), timeout).get<bool>();
}

BarrierProxy::BarrierProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Barrier");
}
std::size_t BarrierProxy::wait(std::optional<double> timeout) const {
    return callBlocking("wait", Json::array({timeoutJson(timeout)}), timeout).get<std::size_t>();
}
void BarrierProxy::abort() const {
    call("abort");
}
void BarrierProxy::reset() const {
    call("reset");
}
std::size_t BarrierProxy::parties() const {
    return call("parties").get<std::size_t>();
}
std::size_t BarrierProxy::nWaiting() const {
    return call("n_waiting").get<std::size_t>();
}
bool BarrierProxy::broken() const {
    return call("broken").get<bool>();
}

} // namespace forkscope
