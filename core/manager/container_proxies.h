#pragma once

// The typed proxies of the manager's data types (Python's DictProxy, ListProxy, NamespaceProxy,
// ValueProxy, ArrayProxy and the Queue's AutoProxy). They are grouped in one header because
// each is a handful of one-line forwards to Proxy::call with Python's method names.

#include "proxy.h"

#include <optional>
#include <string>

namespace forkscope {

/// A managed dict with string keys and JSON-like values (Python: manager.dict()).
class DictProxy : public Proxy {
public:
    DictProxy() = default;
    explicit DictProxy(Proxy proxy);

    /// d[key]; a missing key is a RemoteError of type "KeyError".
    [[nodiscard]] Json get(const std::string& key) const;
    /// d.get(key, default)
    [[nodiscard]] Json get(const std::string& key, const Json& fallback) const;
    void set(const std::string& key, const Json& value) const; ///< d[key] = value
    void erase(const std::string& key) const;                  ///< del d[key] (KeyError if missing)
    [[nodiscard]] bool contains(const std::string& key) const; ///< key in d
    [[nodiscard]] std::size_t size() const;                    ///< len(d)
    [[nodiscard]] std::vector<std::string> keys() const;
    [[nodiscard]] Json values() const;
    [[nodiscard]] Json items() const; ///< a copy of the whole dict, as a JSON object
    Json pop(const std::string& key) const;
    Json pop(const std::string& key, const Json& fallback) const;
    Json setdefault(const std::string& key, const Json& value) const;
    void update(const Json& object) const;
    void clear() const;
};

/// A managed list (Python: manager.list()); indices may be negative, as in Python.
class ListProxy : public Proxy {
public:
    ListProxy() = default;
    explicit ListProxy(Proxy proxy);

    void append(const Json& value) const;
    void extend(const Json& values) const;
    void insert(long long index, const Json& value) const;
    [[nodiscard]] Json get(long long index) const;      ///< l[i] (IndexError if out of range)
    void set(long long index, const Json& value) const; ///< l[i] = v
    void erase(long long index) const;                  ///< del l[i]
    Json pop(std::optional<long long> index = std::nullopt) const;
    void remove(const Json& value) const;                     ///< ValueError if absent
    [[nodiscard]] std::size_t index(const Json& value) const; ///< ValueError if absent
    [[nodiscard]] std::size_t count(const Json& value) const;
    [[nodiscard]] bool contains(const Json& value) const;
    [[nodiscard]] std::size_t size() const;
    void reverse() const;
    void sort() const;
    void clear() const;
    [[nodiscard]] Json toJson() const; ///< a copy of the list (Python's _getvalue())
};

/// A managed Namespace (Python: manager.Namespace()): attributes by name.
class NamespaceProxy : public Proxy {
public:
    NamespaceProxy() = default;
    explicit NamespaceProxy(Proxy proxy);

    [[nodiscard]] Json get(const std::string& attribute) const; ///< AttributeError if missing
    void set(const std::string& attribute, const Json& value) const;
    void erase(const std::string& attribute) const;
    [[nodiscard]] Json toJson() const;
};

/// A managed Value with a typecode (Python: manager.Value('i', 0)); stores are type-checked.
class ValueProxy : public Proxy {
public:
    ValueProxy() = default;
    explicit ValueProxy(Proxy proxy);

    [[nodiscard]] Json get() const;
    void set(const Json& value) const;
};

/// A managed fixed-length Array with a typecode (Python: manager.Array('d', [...])).
class ArrayProxy : public Proxy {
public:
    ArrayProxy() = default;
    explicit ArrayProxy(Proxy proxy);

    [[nodiscard]] Json get(long long index) const;
    void set(long long index, const Json& value) const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] Json toJson() const;
};

/// A managed queue.Queue (Python: manager.Queue(maxsize)), task_done/join included.
class QueueProxy : public Proxy {
public:
    QueueProxy() = default;
    explicit QueueProxy(Proxy proxy);

    /// Python raises queue.Full; here put returns false when the queue stayed full.
    bool put(const Json& item, bool block = true, std::optional<double> timeout = std::nullopt) const;
    /// Python raises queue.Empty; here get returns std::nullopt when nothing came.
    std::optional<Json> get(bool block = true, std::optional<double> timeout = std::nullopt) const;
    bool putNowait(const Json& item) const { return put(item, false); }
    std::optional<Json> getNowait() const { return get(false); }
    [[nodiscard]] std::size_t qsize() const;
    [[nodiscard]] bool empty() const;
    [[nodiscard]] bool full() const;
    void taskDone() const;
    /// Waits until every item put has been marked done; false on timeout.
    bool join(std::optional<double> timeout = std::nullopt) const;
};

} // namespace forkscope
