#include "container_proxies.h"

#include "manager_errors.h"

namespace forkscope {

namespace {
using Json = nlohmann::json;

Json timeoutJson(std::optional<double> timeout) {
    return timeout ? Json(*timeout) : Json(nullptr);
}
} // namespace

DictProxy::DictProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("dict");
}
Json DictProxy::get(const std::string& key) const {
    return call("__getitem__", {key});
}
Json DictProxy::get(const std::string& key, const Json& fallback) const {
    return call("get", {key, fallback});
}
void DictProxy::set(const std::string& key, const Json& value) const {
    call("__setitem__", {key, value});
}
void DictProxy::erase(const std::string& key) const {
    call("__delitem__", {key});
}
bool DictProxy::contains(const std::string& key) const {
    return call("__contains__", {key}).get<bool>();
}
std::size_t DictProxy::size() const {
    return call("__len__").get<std::size_t>();
}
std::vector<std::string> DictProxy::keys() const {
    return call("keys").get<std::vector<std::string>>();
}
Json DictProxy::values() const {
    return call("values");
}
Json DictProxy::items() const {
    return call("items");
}
Json DictProxy::pop(const std::string& key) const {
    return call("pop", {key});
}
Json DictProxy::pop(const std::string& key, const Json& fallback) const {
    return call("pop", {key, fallback});
}
Json DictProxy::setdefault(const std::string& key, const Json& value) const {
    return call("setdefault", {key, value});
}
void DictProxy::update(const Json& object) const {
    call("update", Json::array({object}));
}
void DictProxy::clear() const {
    call("clear");
}

ListProxy::ListProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("list");
}
void ListProxy::append(const Json& value) const {
    call("append", Json::array({value}));
}
void ListProxy::extend(const Json& values) const {
    call("extend", Json::array({values}));
}
void ListProxy::insert(long long index, const Json& value) const {
    call("insert", {index, value});
}
Json ListProxy::get(long long index) const {
    return call("__getitem__", {index});
}
void ListProxy::set(long long index, const Json& value) const {
    call("__setitem__", {index, value});
}
void ListProxy::erase(long long index) const {
    call("__delitem__", {index});
}
Json ListProxy::pop(std::optional<long long> index) const {
    return call("pop", Json::array({index ? Json(*index) : Json(nullptr)}));
}
void ListProxy::remove(const Json& value) const {
    call("remove", Json::array({value}));
}
std::size_t ListProxy::index(const Json& value) const {
    return call("index", Json::array({value})).get<std::size_t>();
}
std::size_t ListProxy::count(const Json& value) const {
    return call("count", Json::array({value})).get<std::size_t>();
}
bool ListProxy::contains(const Json& value) const {
    return call("__contains__", Json::array({value})).get<bool>();
}
std::size_t ListProxy::size() const {
    return call("__len__").get<std::size_t>();
}
void ListProxy::reverse() const {
    call("reverse");
}
void ListProxy::sort() const {
    call("sort");
}
void ListProxy::clear() const {
    call("clear");
}
Json ListProxy::toJson() const {
    return call("_getvalue");
}

NamespaceProxy::NamespaceProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Namespace");
}
Json NamespaceProxy::get(const std::string& attribute) const {
    return call("__getattribute__", {attribute});
}
void NamespaceProxy::set(const std::string& attribute, const Json& value) const {
    call("__setattr__", {attribute, value});
}
void NamespaceProxy::erase(const std::string& attribute) const {
    call("__delattr__", {attribute});
}
Json NamespaceProxy::toJson() const {
    return call("_getvalue");
}

ValueProxy::ValueProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Value");
}
Json ValueProxy::get() const {
    return call("get");
}
void ValueProxy::set(const Json& value) const {
    call("set", Json::array({value}));
}

ArrayProxy::ArrayProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Array");
}
Json ArrayProxy::get(long long index) const {
    return call("__getitem__", {index});
}
void ArrayProxy::set(long long index, const Json& value) const {
    call("__setitem__", {index, value});
}
std::size_t ArrayProxy::size() const {
    return call("__len__").get<std::size_t>();
}
Json ArrayProxy::toJson() const {
    return call("_getvalue");
}

QueueProxy::QueueProxy(Proxy proxy) : Proxy(std::move(proxy)) {
    expectType("Queue");
}
bool QueueProxy::put(const Json& item, bool block, std::optional<double> timeout) const {
    try {
        callBlocking("put", {item, block, timeoutJson(timeout)},
                     block ? timeout : std::optional<double>(0.0));
        return true;
    } catch (const RemoteError& e) {
        if (e.type() == "Full") {
            return false;
        }
        throw;
    }
}
std::optional<Json> QueueProxy::get(bool block, std::optional<double> timeout) const {
    try {
        return callBlocking("get", {block, timeoutJson(timeout)},
                            block ? timeout : std::optional<double>(0.0));
    } catch (const RemoteError& e) {
        if (e.type() == "Empty") {
            return std::nullopt;
        }
        throw;
    }
}
std::size_t QueueProxy::qsize() const {
    return call("qsize").get<std::size_t>();
}
bool QueueProxy::empty() const {
    return call("empty").get<bool>();
}
bool QueueProxy::full() const {
    return call("full").get<bool>();
}
void QueueProxy::taskDone() const {
    call("task_done");
}
bool QueueProxy::join(std::optional<double> timeout) const {
    return callBlocking("join", Json::array({timeoutJson(timeout)}), timeout).get<bool>();
}

} // namespace forkscope
