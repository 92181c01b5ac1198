// The synchronisation types of the manager: Lock, RLock, Semaphore, BoundedSemaphore,
// Condition, Event and Barrier. Each call runs in the server thread of the caller's connection
// and may block there (only that caller waits); the owner of a lock is the connection, as the
// server thread is in Python. A wait ends early with ClientGone when its client hangs up, so a
// killed client leaves no thread waiting forever (and a barrier it was waiting on is broken).
#include "builtin_types.h"
#include "call_context.h"
#include "managed_type_registry.h"

#include <deque>
#include <limits>

namespace forkscope {

namespace {

using Json = nlohmann::json;
using Deadline = CallContext::Deadline;

const Json& arg(const Json& args, std::size_t i) {
    return ManagedObject::argument(args, i);
}

bool blockingArg(const Json& args, std::size_t i) {
    return arg(args, i).is_null() || arg(args, i) == true;
}

Deadline acquireDeadline(const Json& args) {
    return blockingArg(args, 0) ? CallContext::deadlineFrom(arg(args, 1)) : CallContext::Clock::now();
}

[[noreturn]] void unknownMethod(const std::string& method) {
    throw ManagedError("AttributeError", "no method " + method);
}

/// What a Condition needs from its lock: ownership, and a full release/restore around wait().
class LockLike : public ManagedObject {
public:
    virtual bool acquire(CallContext& context, Deadline deadline) = 0;
    virtual void release(CallContext& context) = 0;
    virtual bool ownedBy(std::uint64_t connection) = 0;
    /// Releases every level of ownership and returns how many there were.
    virtual std::size_t releaseAll(CallContext& context) = 0;
    virtual void restore(CallContext& context, std::size_t levels) = 0;

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        if (m == "acquire") {
            return acquire(context, acquireDeadline(a));
        }
        if (m == "release") {
            release(context);
            return nullptr;
        }
        unknownMethod(m);
    }
};

class LockObject final : public LockLike {
public:
    bool acquire(CallContext& context, Deadline deadline) override {
        std::unique_lock lock(mutex_);
        if (!context.waitUntil(freed_, lock, deadline, [&] { return !locked_; })) {
            return false;
        }
        locked_ = true;
        owner_ = context.connectionId();
        return true;
    }
    void release(CallContext&) override {
        std::lock_guard lock(mutex_);
        if (!locked_) {
            throw ManagedError("RuntimeError", "release unlocked lock");
        }
        locked_ = false; // a plain Lock may be released by anyone, as threading.Lock allows
        freed_.notify_one();
    }
    bool ownedBy(std::uint64_t connection) override {
        std::lock_guard lock(mutex_);
        return locked_ && owner_ == connection;
    }
    std::size_t releaseAll(CallContext& context) override {
        release(context);
        return 1;
    }
    void restore(CallContext& context, std::size_t) override { acquire(context, std::nullopt); }

private:
    std::mutex mutex_;
    std::condition_variable freed_;
    bool locked_ = false;
    std::uint64_t owner_ = 0;
};

class RLockObject final : public LockLike {
public:
    bool acquire(CallContext& context, Deadline deadline) override {
        std::unique_lock lock(mutex_);
        if (count_ > 0 && owner_ == context.connectionId()) {
            ++count_;
            return true;
        }
        if (!context.waitUntil(freed_, lock, deadline, [&] { return count_ == 0; })) {
            return false;
        }
        owner_ = context.connectionId();
        count_ = 1;
        return true;
    }
    void release(CallContext& context) override {
        std::lock_guard lock(mutex_);
        if (count_ == 0 || owner_ != context.connectionId()) {
            throw ManagedError("RuntimeError", "cannot release un-acquired lock");
        }
        if (--count_ == 0) {
            freed_.notify_one();
        }
    }
    bool ownedBy(std::uint64_t connection) override {
        std::lock_guard lock(mutex_);
        return count_ > 0 && owner_ == connection;
    }
    std::size_t releaseAll(CallContext& context) override {
        std::lock_guard lock(mutex_);
        if (count_ == 0 || owner_ != context.connectionId()) {
            throw ManagedError("RuntimeError", "cannot release un-acquired lock");
        }
        const std::size_t levels = std::exchange(count_, 0);
        freed_.notify_one();
        return levels;
    }
    void restore(CallContext& context, std::size_t levels) override {
        std::unique_lock lock(mutex_);
        context.waitUntil(freed_, lock, std::nullopt, [&] { return count_ == 0; });
        owner_ = context.connectionId();
        count_ = levels;
    }

private:
    std::mutex mutex_;
    std::condition_variable freed_;
    std::size_t count_ = 0;
    std::uint64_t owner_ = 0;
};

class SemaphoreObject final : public ManagedObject {
public:
    SemaphoreObject(const Json& args, bool bounded) : bounded_(bounded) {
        const Json& initial = arg(args, 0);
        value_ = initial.is_number_integer() ? initial.get<long long>() : 1;
        if (value_ < 0) {
            throw ManagedError("ValueError", "semaphore initial value must be >= 0");
        }
        initial_ = value_;
    }

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        std::unique_lock lock(mutex_);
        if (m == "acquire") {
            if (!context.waitUntil(available_, lock, acquireDeadline(a), [&] { return value_ > 0; })) {
                return false;
            }
            --value_;
            return true;
        }
        if (m == "release") {
            const long long n = arg(a, 0).is_number_integer() ? arg(a, 0).get<long long>() : 1;
            if (n < 1) {
                throw ManagedError("ValueError", "n must be one or more");
            }
            if (bounded_ && value_ + n > initial_) {
                throw ManagedError("ValueError", "Semaphore released too many times");
            }
            value_ += n;
            available_.notify_all();
            return nullptr;
        }
        if (m == "get_value") {
            return value_;
        }
        unknownMethod(m);
    }

private:
    std::mutex mutex_;
    std::condition_variable available_;
    long long value_ = 1;
    long long initial_ = 1;
    bool bounded_;
};

/// threading.Condition over a managed Lock/RLock (its own RLock when none is given). A waiter
/// is queued *before* it releases the lock and notify() requires the lock, so no notification
/// can fall between the release and the wait.
class ConditionObject final : public ManagedObject {
public:
    ConditionObject(const Json& args, const ObjectLookup& lookup) {
        const Json& lockId = arg(args, 0);
        if (lockId.is_null()) {
            lock_ = std::make_shared<RLockObject>();
            return;
        }
        if (!lockId.is_number_unsigned()) {
            throw ManagedError("TypeError", "a Condition's lock is given by its object id");
        }
        lock_ = std::dynamic_pointer_cast<LockLike>(lookup(lockId.get<std::uint64_t>()));
        if (!lock_) {
            throw ManagedError("TypeError",
                               "object " + lockId.dump() + " is not a Lock or RLock of this manager");
        }
    }

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        if (m == "acquire" || m == "release") {
            return lock_->call(m, a, context);
        }
        if (m == "wait") {
            return wait(context, CallContext::deadlineFrom(arg(a, 0)));
        }
        if (m == "notify" || m == "notify_all") {
            if (!lock_->ownedBy(context.connectionId())) {
                throw ManagedError("RuntimeError", "cannot notify on un-acquired lock");
            }
            std::size_t n = std::numeric_limits<std::size_t>::max();
            if (m == "notify") {
                n = arg(a, 0).is_number_unsigned() ? arg(a, 0).get<std::size_t>() : 1;
            }
            std::lock_guard lock(mutex_);
            while (n-- > 0 && !waiters_.empty()) {
                *waiters_.front() = true;
                waiters_.pop_front();
            }
            cv_.notify_all();
            return nullptr;
        }
        unknownMethod(m);
    }

private:
    bool wait(CallContext& context, Deadline deadline) {
        if (!lock_->ownedBy(context.connectionId())) {
            throw ManagedError("RuntimeError", "cannot wait on un-acquired lock");
        }
        auto notified = std::make_shared<bool>(false);
        {
            std::lock_guard lock(mutex_);
            waiters_.push_back(notified);
        }
        const std::size_t levels = lock_->releaseAll(context);
        bool result = false;
        {
            std::unique_lock lock(mutex_);
            try {
                result = context.waitUntil(cv_, lock, deadline, [&] { return *notified; });
            } catch (const ClientGone&) {
                forget(notified);
                throw; // nobody to give the lock back to
            }
            if (!result) {
                forget(notified);
            }
        }
        lock_->restore(context, levels);
        return result;
    }

    void forget(const std::shared_ptr<bool>& waiter) { std::erase(waiters_, waiter); }

    std::shared_ptr<LockLike> lock_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<bool>> waiters_;
};

class EventObject final : public ManagedObject {
public:
    explicit EventObject(const Json&) {}

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        std::unique_lock lock(mutex_);
        if (m == "set") {
            flag_ = true;
            cv_.notify_all();
            return nullptr;
        }
        if (m == "clear") {
            flag_ = false;
            return nullptr;
        }
        if (m == "is_set") {
            return flag_;
        }
        if (m == "wait") {
            return context.waitUntil(cv_, lock, CallContext::deadlineFrom(arg(a, 0)), [&] { return flag_; });
        }
        unknownMethod(m);
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool flag_ = false;
};

/// threading.Barrier. Each round is a Generation; abort(), reset(), a timeout or a waiter whose
/// client hung up break the current one, which wakes its waiters with BrokenBarrierError.
class BarrierObject final : public ManagedObject {
public:
    explicit BarrierObject(const Json& args) {
        const Json& parties = arg(args, 0);
        if (!parties.is_number_integer() || parties.get<long long>() < 1) {
            throw ManagedError("ValueError", "a Barrier needs parties >= 1");
        }
        parties_ = parties.get<std::size_t>();
        defaultTimeout_ = arg(args, 1);
    }

    Json call(const std::string& m, const Json& a, CallContext& context) override {
        std::unique_lock lock(mutex_);
        if (m == "wait") {
            return wait(context, lock, arg(a, 0).is_null() ? defaultTimeout_ : arg(a, 0));
        }
        if (m == "abort") {
            breakCurrent();
            return nullptr;
        }
        if (m == "reset") {
            breakCurrent();
            current_ = std::make_shared<Generation>();
            count_ = 0;
            return nullptr;
        }
        if (m == "parties") {
            return parties_;
        }
        if (m == "n_waiting") {
            return count_;
        }
        if (m == "broken") {
            return current_->broken;
        }
        unknownMethod(m);
    }

private:
    struct Generation {
        bool released = false;
        bool broken = false;
    };

    Json wait(CallContext& context, std::unique_lock<std::mutex>& lock, const Json& timeout) {
        auto generation = current_;
        if (generation->broken) {
            throw ManagedError("BrokenBarrierError", "the barrier is broken");
        }
        const std::size_t index = count_++;
        if (count_ == parties_) {
            generation->released = true;
            current_ = std::make_shared<Generation>();
            count_ = 0;
            cv_.notify_all();
            return index;
        }
        bool done = false;
        try {
            done = context.waitUntil(cv_, lock, CallContext::deadlineFrom(timeout),
                                     [&] { return generation->released || generation->broken; });
        } catch (const ClientGone&) {
            breakIf(generation);
            throw;
        }
        if (!done) {
            breakIf(generation);
        }
        if (!generation->released) {
            throw ManagedError("BrokenBarrierError",
                               done ? "the barrier was broken while waiting"
                                    : "the barrier wait timed out (the barrier is now broken)");
        }
        return index;
    }

    void breakIf(const std::shared_ptr<Generation>& generation) {
        if (generation == current_) {
            breakCurrent();
        }
    }

    void breakCurrent() {
        current_->broken = true;
        cv_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::size_t parties_ = 1;
    std::size_t count_ = 0;
    Json defaultTimeout_;
    std::shared_ptr<Generation> current_ = std::make_shared<Generation>();
};

} // namespace

void registerSyncTypes() {
    ManagedTypeRegistry::add(
        "Lock", [](const Json&) { return std::make_unique<LockObject>(); }, {"acquire", "release"}, false);
    ManagedTypeRegistry::add(
        "RLock", [](const Json&) { return std::make_unique<RLockObject>(); }, {"acquire", "release"}, false);
    ManagedTypeRegistry::add(
        "Semaphore", [](const Json& a) { return std::make_unique<SemaphoreObject>(a, false); },
        {"acquire", "release", "get_value"}, false);
    ManagedTypeRegistry::add(
        "BoundedSemaphore", [](const Json& a) { return std::make_unique<SemaphoreObject>(a, true); },
        {"acquire", "release", "get_value"}, false);
    ManagedTypeRegistry::add(
        "Condition",
        ManagedFactory([](const Json& a, const ObjectLookup& lookup) -> std::unique_ptr<ManagedObject> {
            return std::make_unique<ConditionObject>(a, lookup);
        }),
        {"acquire", "release", "wait", "notify", "notify_all"}, false);
    ManagedTypeRegistry::add(
        "Event", [](const Json& a) { return std::make_unique<EventObject>(a); },
        {"set", "clear", "is_set", "wait"}, false);
    ManagedTypeRegistry::add(
        "Barrier", [](const Json& a) { return std::make_unique<BarrierObject>(a); },
        {"wait", "abort", "reset", "parties", "n_waiting", "broken"}, false);
}

} // namespace forkscope
