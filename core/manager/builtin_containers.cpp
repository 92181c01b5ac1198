// The data types of the manager: dict, list, Namespace, Value, Array and Queue. Method names on
// the wire are Python's, so the mapping stays obvious ("__getitem__", "append", "put" ...).
// dict/list/Namespace/Value/Array are registered with serialised calls (the server holds the
// object's mutex around each call); Queue blocks in get/put/join and locks by itself.
#include "builtin_types.h"
#include "call_context.h"
#include "managed_type_registry.h"

#include <algorithm>
#include <deque>

namespace forkscope {

namespace {

using Json = nlohmann::json;

const Json& arg(const Json& args, std::size_t i) {
    return ManagedObject::argument(args, i);
}

std::string keyArg(const Json& args, std::size_t i) {
    const Json& key = arg(args, i);
    if (!key.is_string()) {
        throw ManagedError("TypeError", "keys and attribute names are strings, not " + key.dump());
    }
    return key.get<std::string>();
}

long long intArg(const Json& args, std::size_t i, const char* what) {
    const Json& value = arg(args, i);
    if (!value.is_number_integer()) {
        throw ManagedError("TypeError", std::string(what) + " must be an integer, not " + value.dump());
    }
    return value.get<long long>();
}

/// Python's indexing: negative counts from the end; out of range is an IndexError.
std::size_t normaliseIndex(long long index, std::size_t size, const char* what) {
    long long n = static_cast<long long>(size);
    long long i = index < 0 ? index + n : index;
    if (i < 0 || i >= n) {
        throw ManagedError("IndexError",
                           std::string(what) + " index " + std::to_string(index) + " out of range");
    }
    return static_cast<std::size_t>(i);
}

[[noreturn]] void unknownMethod(const std::string& method) {
    throw ManagedError("AttributeError", "no method " + method);
}

class DictObject final : public ManagedObject {
public:
    explicit DictObject(const Json& args) {
        const Json& initial = arg(args, 0);
        if (!initial.is_null() && !initial.is_object()) {
            throw ManagedError("TypeError", "a dict is made from a JSON object, not " + initial.dump());
        }
        if (initial.is_object()) {
            data_ = initial;
        }
    }

    Json call(const std::string& m, const Json& a, CallContext&) override {
        if (m == "__getitem__") {
            auto it = data_.find(keyArg(a, 0));
            if (it == data_.end()) {
                throw ManagedError("KeyError", keyArg(a, 0));
            }
            return *it;
        }
        if (m == "get") {
            auto it = data_.find(keyArg(a, 0));
            return it == data_.end() ? arg(a, 1) : *it;
        }
        if (m == "__setitem__") {
            data_[keyArg(a, 0)] = arg(a, 1);
            return nullptr;
        }
        if (m == "__delitem__" || m == "pop") {
            const std::string key = keyArg(a, 0);
            auto it = data_.find(key);
            if (it == data_.end()) {
                if (m == "pop" && a.size() > 1) {
                    return arg(a, 1);
                }
                throw ManagedError("KeyError", key);
            }
            Json value = *it;
            data_.erase(it);
            return m == "pop" ? value : Json(nullptr);
        }
        if (m == "__contains__") {
            return data_.contains(keyArg(a, 0));
        }
        if (m == "__len__") {
            return data_.size();
        }
        if (m == "keys" || m == "values") {
            Json out = Json::array();
            for (auto it = data_.begin(); it != data_.end(); ++it) {
                out.push_back(m == "keys" ? Json(it.key()) : it.value());
            }
            return out;
        }
        if (m == "items" || m == "copy" || m == "_getvalue") {
            return data_;
        }
        if (m == "setdefault") {
            const std::string key = keyArg(a, 0);
            if (!data_.contains(key)) {
                data_[key] = arg(a, 1);
            }
            return data_[key];
        }
        if (m == "update") {
            if (!arg(a, 0).is_object()) {
                throw ManagedError("TypeError", "update needs a JSON object");
            }
            data_.update(arg(a, 0));
            return nullptr;
        }
        if (m == "clear") {
            data_ = Json::object();
            return nullptr;
        }
        unknownMethod(m);
    }

private:
    Json data_ = Json::object();
};

class ListObject final : public ManagedObject {
public:
    explicit ListObject(const Json& args) {
        const Json& initial = arg(args, 0);
        if (!initial.is_null() && !initial.is_array()) {
            throw ManagedError("TypeError", "a list is made from a JSON array, not " + initial.dump());
        }
        if (initial.is_array()) {
            data_ = initial;
        }
    }

    Json call(const std::string& m, const Json& a, CallContext&) override {
        if (m == "__getitem__") {
            return data_[normaliseIndex(intArg(a, 0, "list index"), data_.size(), "list")];
        }
        if (m == "__setitem__") {
            data_[normaliseIndex(intArg(a, 0, "list index"), data_.size(), "list assignment")] = arg(a, 1);
            return nullptr;
        }
        if (m == "__delitem__") {
            data_.erase(normaliseIndex(intArg(a, 0, "list index"), data_.size(), "list deletion"));
            return nullptr;
        }
        if (m == "__len__") {
            return data_.size();
        }
        if (m == "__contains__") {
            return std::find(data_.begin(), data_.end(), arg(a, 0)) != data_.end();
        }
        if (m == "append") {
            data_.push_back(arg(a, 0));
            return nullptr;
        }
        if (m == "extend") {
            if (!arg(a, 0).is_array()) {
                throw ManagedError("TypeError", "extend needs a JSON array");
            }
            for (const auto& item : arg(a, 0)) {
                data_.push_back(item);
            }
            return nullptr;
        }
        if (m == "insert") {
            long long n = static_cast<long long>(data_.size());
            long long i = intArg(a, 0, "insert position");
            i = std::clamp(i < 0 ? i + n : i, 0LL, n); // Python clamps instead of failing
            data_.insert(data_.begin() + i, arg(a, 1));
            return nullptr;
        }
        if (m == "pop") {
            if (data_.empty()) {
                throw ManagedError("IndexError", "pop from empty list");
            }
            long long index = arg(a, 0).is_null() ? -1 : intArg(a, 0, "pop index");
            std::size_t i = normaliseIndex(index, data_.size(), "pop");
            Json value = data_[i];
            data_.erase(i);
            return value;
        }
        if (m == "remove" || m == "index") {
            auto it = std::find(data_.begin(), data_.end(), arg(a, 0));
            if (it == data_.end()) {
                throw ManagedError("ValueError", arg(a, 0).dump() + " is not in list");
            }
            auto position = static_cast<std::size_t>(it - data_.begin());
            if (m == "index") {
                return position;
            }
            data_.erase(position);
            return nullptr;
        }
        if (m == "count") {
            return std::count(data_.begin(), data_.end(), arg(a, 0));
        }
        if (m == "reverse") {
            std::reverse(data_.begin(), data_.end());
            return nullptr;
        }
        if (m == "sort") {
            std::stable_sort(data_.begin(), data_.end());
            return nullptr;
        }
        if (m == "clear") {
            data_ = Json::array();
            return nullptr;
        }
        if (m == "_getvalue") {
            return data_;
        }
        unknownMethod(m);
    }

private:
    Json data_ = Json::array();
};

class NamespaceObject final : public ManagedObject {
public:
    explicit NamespaceObject(const Json& args) {
        if (arg(args, 0).is_object()) {
            data_ = arg(args, 0);
        }
    }

    Json call(const std::string& m, const Json& a, CallContext&) override {
        if (m == "__getattribute__" || m == "__delattr__") {
            const std::string name = keyArg(a, 0);
            auto it = data_.find(name);
            if (it == data_.end()) {
                throw ManagedError("AttributeError", "'Namespace' object has no attribute '" + name + "'");
            }
            Json value = *it;
            if (m == "__delattr__") {
                data_.erase(it);
                return nullptr;
            }
            return value;
        }
        if (m == "__setattr__") {
            data_[keyArg(a, 0)] = arg(a, 1);
            return nullptr;
        }
        if (m == "_getvalue") {
            return data_;
        }
        unknownMethod(m);
    }

private:
    Json data_ = Json::object();
};

/// Python's array/ctypes typecodes, checked on every store so that a Value('i') stays an int.
void checkTypecode(const std::string& code, const Json& value) {
    static const std::string signedCodes = "bhilq";
    static const std::string unsignedCodes = "BHILQ";
    bool ok = true;
    if (code.size() != 1) {
        throw ManagedError("TypeError", "bad typecode '" + code + "' (use one of bBhHiIlLqQfdu)");
    }
    if (signedCodes.find(code[0]) != std::string::npos) {
        ok = value.is_number_integer();
    } else if (unsignedCodes.find(code[0]) != std::string::npos) {
        ok = value.is_number_unsigned() || (value.is_number_integer() && value.get<long long>() >= 0);
    } else if (code == "f" || code == "d") {
        ok = value.is_number();
    } else if (code == "u") {
        ok = value.is_string();
    } else {
        throw ManagedError("TypeError", "bad typecode '" + code + "' (use one of bBhHiIlLqQfdu)");
    }
    if (!ok) {
        throw ManagedError("TypeError", "value " + value.dump() + " does not fit typecode '" + code + "'");
    }
}

class ValueObject final : public ManagedObject {
public:
    explicit ValueObject(const Json& args) : typecode_(keyArg(args, 0)), value_(arg(args, 1)) {
        checkTypecode(typecode_, value_);
    }

    Json call(const std::string& m, const Json& a, CallContext&) override {
        if (m == "get" || m == "_getvalue") {
            return value_;
        }
        if (m == "set") {
            checkTypecode(typecode_, arg(a, 0));
            value_ = arg(a, 0);
            return nullptr;
        }
        unknownMethod(m);
    }

private:
    std::string typecode_;
    Json value_;
};

class ArrayObject final : public ManagedObject {
public:
    explicit ArrayObject(const Json& args) : typecode_(keyArg(args, 0)), data_(arg(args, 1)) {
        if (!data_.is_array()) {
            throw ManagedError("TypeError", "an Array is made from a JSON array");
        }
        for (const auto& item : data_) {
            checkTypecode(typecode_, item);
        }
    }

    Json call(const std::string& m, const Json& a, CallContext&) override {
        if (m == "__len__") {
            return data_.size();
        }
        if (m == "__getitem__") {
            return data_[normaliseIndex(intArg(a, 0, "array index"), data_.size(), "array")];
        }
        if (m == "__setitem__") {
            std::size_t i = normaliseIndex(intArg(a, 0, "array index"), data_.size(), "array assignment");
            checkTypecode(typecode_, arg(a, 1));
            data_[i] = arg(a, 1);
            return nullptr;
        }
        if (m == "_getvalue") {
            return data_;
        }
        unknownMethod(m);
    }

private:
    std::string typecode_;
    Json data_;
};

/// Python's queue.Queue (which the manager's Queue is), task_done/join included.
class QueueObject final : public ManagedObject {
public:
    explicit QueueObject(const Json& args) {
        const Json& size = arg(args, 0);
        maxsize_ = size.is_number_integer() ? std::max<long long>(0, size.get<long long>()) : 0;
    }

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        std::unique_lock lock(mutex_);
        if (m == "put" || m == "put_nowait") {
            const bool block = m == "put" && (arg(a, 1).is_null() || arg(a, 1) == true);
            auto deadline = block ? CallContext::deadlineFrom(arg(a, 2)) : CallContext::Clock::now();
            if (!context.waitUntil(notFull_, lock, deadline, [&] { return !full(); })) {
                throw ManagedError("Full", "the queue is full");
            }
            items_.push_back(arg(a, 0));
            ++unfinished_;
            notEmpty_.notify_one();
            return nullptr;
        }
        if (m == "get" || m == "get_nowait") {
            const bool block = m == "get" && (arg(a, 0).is_null() || arg(a, 0) == true);
            auto deadline = block ? CallContext::deadlineFrom(arg(a, 1)) : CallContext::Clock::now();
            if (!context.waitUntil(notEmpty_, lock, deadline, [&] { return !items_.empty(); })) {
                throw ManagedError("Empty", "the queue is empty");
            }
            Json item = std::move(items_.front());
            items_.pop_front();
            notFull_.notify_one();
            return item;
        }
        if (m == "qsize") {
            return items_.size();
        }
        if (m == "empty") {
            return items_.empty();
        }
        if (m == "full") {
            return full();
        }
        if (m == "task_done") {
            if (unfinished_ == 0) {
                throw ManagedError("ValueError", "task_done() called too many times");
            }
            if (--unfinished_ == 0) {
                allDone_.notify_all();
            }
            return nullptr;
        }
        if (m == "join") {
            return context.waitUntil(allDone_, lock, CallContext::deadlineFrom(arg(a, 0)),
                                     [&] { return unfinished_ == 0; });
        }
        unknownMethod(m);
    }

private:
    [[nodiscard]] bool full() const {
        return maxsize_ > 0 && static_cast<long long>(items_.size()) >= maxsize_;
    }

    std::mutex mutex_;
    std::condition_variable notEmpty_;
    std::condition_variable notFull_;
    std::condition_variable allDone_;
    std::deque<Json> items_;
    long long maxsize_ = 0;
    std::size_t unfinished_ = 0;
};

template <class T> SimpleManagedFactory factoryOf() {
    return [](const Json& args) { return std::make_unique<T>(args); };
}

} // namespace

void registerContainerTypes() {
    ManagedTypeRegistry::add("dict", factoryOf<DictObject>(),
                             {"__getitem__", "__setitem__", "__delitem__", "__contains__", "__len__", "get",
                              "keys", "values", "items", "pop", "setdefault", "update", "clear", "copy",
                              "_getvalue"});
    ManagedTypeRegistry::add("list", factoryOf<ListObject>(),
                             {"__getitem__", "__setitem__", "__delitem__", "__len__", "__contains__",
                              "append", "extend", "insert", "pop", "remove", "index", "count", "reverse",
                              "sort", "clear", "_getvalue"});
    ManagedTypeRegistry::add("Namespace", factoryOf<NamespaceObject>(),
                             {"__getattribute__", "__setattr__", "__delattr__", "_getvalue"});
    ManagedTypeRegistry::add("Value", factoryOf<ValueObject>(), {"get", "set", "_getvalue"});
    ManagedTypeRegistry::add("Array", factoryOf<ArrayObject>(),
                             {"__len__", "__getitem__", "__setitem__", "_getvalue"});
    ManagedTypeRegistry::add(
        "Queue", factoryOf<QueueObject>(),
        {"put", "put_nowait", "get", "get_nowait", "qsize", "empty", "full", "task_done", "join"}, false);
}

} // namespace forkscope
