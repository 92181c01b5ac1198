#pragma once

// The typed proxies of the manager's synchronisation types (Python's AcquirerProxy,
// ConditionProxy, EventProxy and BarrierProxy). Grouped in one header because each is a few
// one-line forwards to Proxy::callBlocking. Every blocking method takes a timeout; without one
// it blocks until it succeeds or the manager goes away (never silently forever).

#include "proxy.h"

#include <optional>

namespace forkscope {

/// manager.Lock(): owned by the connection that acquired it (one proxy connection plays the
/// role of one thread of Python's server).
class LockProxy : public Proxy {
public:
    LockProxy() = default;
    explicit LockProxy(Proxy proxy);

    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt) const;
    void release() const;

protected:
    LockProxy(Proxy proxy, const char* typeId);
};

/// manager.RLock(): reentrant for the connection that holds it.
class RLockProxy : public LockProxy {
public:
    RLockProxy() = default;
    explicit RLockProxy(Proxy proxy);
};

/// manager.Semaphore(value)
class SemaphoreProxy : public Proxy {
public:
    SemaphoreProxy() = default;
    explicit SemaphoreProxy(Proxy proxy);

    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt) const;
    void release(long long n = 1) const;
    [[nodiscard]] long long value() const;

protected:
    SemaphoreProxy(Proxy proxy, const char* typeId);
};

/// manager.BoundedSemaphore(value): releasing above the initial value is a RemoteError
/// ("ValueError").
class BoundedSemaphoreProxy : public SemaphoreProxy {
public:
    BoundedSemaphoreProxy() = default;
    explicit BoundedSemaphoreProxy(Proxy proxy);
};

/// manager.Condition(lock): wait/notify with its lock (acquire/release go to that lock).
class ConditionProxy : public Proxy {
public:
    ConditionProxy() = default;
    explicit ConditionProxy(Proxy proxy);

    bool acquire(bool block = true, std::optional<double> timeout = std::nullopt) const;
    void release() const;
    /// Releases the lock, waits for a notification, re-acquires; false on timeout.
    bool wait(std::optional<double> timeout = std::nullopt) const;
    void notify(std::size_t n = 1) const;
    void notifyAll() const;
};

/// manager.Event()
class EventProxy : public Proxy {
public:
    EventProxy() = default;
    explicit EventProxy(Proxy proxy);

    void set() const;
    void clear() const;
    [[nodiscard]] bool isSet() const;
    bool wait(std::optional<double> timeout = std::nullopt) const;
};

/// manager.Barrier(parties, timeout): a broken barrier is a RemoteError of type
/// "BrokenBarrierError".
class BarrierProxy : public Proxy {
public:
    BarrierProxy() = default;
    explicit BarrierProxy(Proxy proxy);

    /// Returns the arrival index (0 .. parties-1).
    std::size_t wait(std::optional<double> timeout = std::nullopt) const;
    void abort() const;
    void reset() const;
    [[nodiscard]] std::size_t parties() const;
    [[nodiscard]] std::size_t nWaiting() const;
    [[nodiscard]] bool broken() const;
};

} // namespace forkscope
