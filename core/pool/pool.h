#pragma once

#include "async_result.h"
#include "imap_result.h"
#include "pool_core.h"
#include "pool_errors.h"
#include "pool_stats.h"
#include "pool_task_registry.h"

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <vector>

namespace forkscope {

namespace detail {

template <class F>
constexpr bool isFunctionPointer = std::is_pointer_v<F>&& std::is_function_v<std::remove_pointer_t<F>>;

/// The parameters that travel for fn called with an Item: a function's own parameter list
/// (so the caller's value is converted once, in the parent), or the item itself for a closure.
template <class F, class Item, bool = isFunctionPointer<F>> struct TaskShape {
    using Wire = std::decay_t<Item>;
    using Result = CallResult<F, Wire>;
};
template <class F, class Item> struct TaskShape<F, Item, true> {
    using Wire = typename FunctionTraits<F>::Wire;
    using Result = CallResult<F, Wire>;
};

template <class F, class Wire> TaskFunctionRef makeFunctionRef(const F& fn, StartMethod method) {
    TaskFunctionRef ref;
    if constexpr (isFunctionPointer<F>) {
        ref.id = PoolTaskRegistry::idOf(reinterpret_cast<PoolTaskRegistry::Key>(fn));
        if (ref.id != 0) {
            ref.description = PoolTaskRegistry::nameOf(ref.id);
            return ref;
        }
        ref.description = "an unregistered function of type " + typeName<F>();
    } else {
        ref.description = "a callable of type " + typeName<F>();
    }
    if (method != StartMethod::Fork) {
        throw SerializationError("cannot send " + ref.description + " to a " + std::string(toString(method)) +
                                 " pool worker: a fresh program image can only run functions registered with "
                                 "FORKSCOPE_POOL_TASK (under fork, a trivially copyable callable works too)");
    }
    if constexpr (std::is_trivially_copyable_v<F>) {
        ref.closureInvoker = reinterpret_cast<std::uintptr_t>(&closureInvoker<F, Wire>);
        ref.closure.resize(sizeof(F));
        std::memcpy(ref.closure.data(), &fn, sizeof(F));
        return ref;
    } else {
        throw SerializationError(
            "cannot send " + ref.description +
            " to a fork pool worker: it is not trivially copyable, so its state lives on this process's heap "
            "where "
            "a worker forked earlier cannot see it (e.g. a captured std::string or std::function). Capture "
            "plain "
            "values or pointers to data that existed before the pool, or register a function with "
            "FORKSCOPE_POOL_TASK");
    }
}

/// Python's default chunksize for map/starmap.
inline std::size_t defaultChunksize(std::size_t items, std::size_t processes) {
    std::size_t chunksize = items / (processes * 4);
    if (items % (processes * 4) != 0) {
        ++chunksize;
    }
    return chunksize;
}

} // namespace detail

/// Everything Pool takes, for designated initialisers: Pool({.processes = 4, .maxtasksperchild = 10}).
struct PoolOptions {
    std::optional<int> processes;      ///< default: the number of CPUs
    std::optional<Target> initializer; ///< run once in each worker, with initargs
    Args initargs;
    std::optional<int> maxtasksperchild; ///< replace a worker after this many chunks
    std::optional<Context> context;      ///< default: the process-wide default start method
    WorkerDeathPolicy deathPolicy = WorkerDeathPolicy::Broken;
};

/// A pool of worker processes: Python's multiprocessing.Pool.
///
/// Tasks are functions registered with FORKSCOPE_POOL_TASK (`R fn(const A&)`, or several
/// parameters called with a tuple) whose arguments and results are cereal-serialisable; under
/// fork any trivially copyable callable works too. Destroying the pool terminates it, as
/// leaving Python's `with Pool() as p:` does. Only the creating process may use it.
class Pool {
public:
    explicit Pool(std::optional<int> processes = std::nullopt,
                  std::optional<Target> initializer = std::nullopt, Args initargs = {},
                  std::optional<int> maxtasksperchild = std::nullopt,
                  std::optional<Context> context = std::nullopt,
                  WorkerDeathPolicy deathPolicy = WorkerDeathPolicy::Broken);
    explicit Pool(PoolOptions options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    /// fn(arg) in a worker, waiting for the result (Python's apply).
    template <class F, class A> auto apply(F fn, A arg) {
        return submitOne(std::move(fn), std::move(arg), {}, {}, true).get();
    }
    /// fn() in a worker.
    template <class F> auto apply(F fn) { return apply(std::move(fn), std::tuple<>()); }

    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    AsyncResult<R> applyAsync(F fn, A arg, std::type_identity_t<std::function<void(const R&)>> callback = {},
                              std::function<void(const std::exception&)> errorCallback = {}) {
        return submitOne(std::move(fn), std::move(arg), std::move(callback), std::move(errorCallback));
    }

    /// fn over items, results in order (Python's map; default chunksize as Python's).
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    std::vector<R> map(F fn, std::vector<A> items, std::optional<std::size_t> chunksize = std::nullopt) {
        return submitMap(std::move(fn), std::move(items), chunksize, {}, {}, true).get();
    }
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    AsyncResult<std::vector<R>>
    mapAsync(F fn, std::vector<A> items, std::optional<std::size_t> chunksize = std::nullopt,
             std::type_identity_t<std::function<void(const std::vector<R>&)>> callback = {},
             std::function<void(const std::exception&)> errorCallback = {}) {
        return submitMap(std::move(fn), std::move(items), chunksize, std::move(callback),
                         std::move(errorCallback), false);
    }
    /// fn(*item) for tuples (Python's starmap): the same as map, named for what it does.
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    std::vector<R> starmap(F fn, std::vector<A> items, std::optional<std::size_t> chunksize = std::nullopt) {
        return submitMap(std::move(fn), std::move(items), chunksize, {}, {}, true).get();
    }
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    AsyncResult<std::vector<R>>
    starmapAsync(F fn, std::vector<A> items, std::optional<std::size_t> chunksize = std::nullopt,
                 std::type_identity_t<std::function<void(const std::vector<R>&)>> callback = {},
                 std::function<void(const std::exception&)> errorCallback = {}) {
        return mapAsync(std::move(fn), std::move(items), chunksize, std::move(callback),
                        std::move(errorCallback));
    }
    /// Results one by one, in order (Python's imap; default chunksize 1).
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    ImapResult<R> imap(F fn, std::vector<A> items, std::size_t chunksize = 1) {
        auto job = makeJob<F, A>(fn, std::move(items), "imap", chunksize, true);
        core_->submit(job);
        return ImapResult<R>(core_, job, true);
    }
    /// Results one by one, as they arrive (Python's imap_unordered).
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    ImapResult<R> imapUnordered(F fn, std::vector<A> items, std::size_t chunksize = 1) {
        auto job = makeJob<F, A>(fn, std::move(items), "imap_unordered", chunksize, true);
        core_->submit(job);
        return ImapResult<R>(core_, job, false);
    }

    /// No more work: the workers exit once the submitted work is done.
    void close();
    /// Stops the workers now (SIGTERM, then SIGKILL); pending results fail with ProcessError.
    void terminate();
    /// Waits for the workers to exit after close() or terminate(); false at the timeout.
    bool join(fdio::Timeout timeout = std::nullopt);
    /// Async-signal-safe: a waiting (or the next) map/get/next/join throws KeyboardInterrupt.
    /// Call it from a SIGINT handler to get Python's Ctrl-C behaviour.
    void interrupt() noexcept;

    [[nodiscard]] PoolStats stats() const;
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] const std::string& name() const noexcept;

private:
    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    std::shared_ptr<detail::ResultJob<R>> makeJob(const F& fn, std::vector<A> items, const char* kind,
                                                  std::optional<std::size_t> chunksize, bool trackItems) {
        using Wire = typename detail::TaskShape<F, A>::Wire;
        core_->checkOwner(kind);
        const std::size_t count = items.size();
        const std::size_t chunk = chunksize.value_or(detail::defaultChunksize(count, core_->size()));
        if (chunk == 0 && count != 0) {
            throw ProcessError("chunksize must be at least 1");
        }
        return std::make_shared<detail::TypedJob<Wire, A, R>>(
            core_->nextJobId(), kind, std::move(items), chunk,
            detail::makeFunctionRef<F, Wire>(fn, core_->startMethod()), trackItems);
    }

    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    AsyncResult<std::vector<R>> submitMap(F fn, std::vector<A> items, std::optional<std::size_t> chunksize,
                                          std::function<void(const std::vector<R>&)> callback,
                                          std::function<void(const std::exception&)> errorCallback,
                                          bool callerWaits) {
        auto job = makeJob<F, A>(fn, std::move(items), "map", chunksize, false);
        if (callback) {
            job->successCallback = [callback = std::move(callback)](detail::ResultJob<R>& done) {
                callback(done.results);
            };
        }
        job->errorCallback = std::move(errorCallback);
        core_->submit(job, callerWaits);
        return AsyncResult<std::vector<R>>(core_, job, [](detail::PoolJob& done) {
            return static_cast<detail::ResultJob<R>&>(done).results;
        });
    }

    template <class F, class A, class R = typename detail::TaskShape<F, A>::Result>
    AsyncResult<R> submitOne(F fn, A arg, std::function<void(const R&)> callback,
                             std::function<void(const std::exception&)> errorCallback,
                             bool callerWaits = false) {
        std::vector<A> items;
        items.push_back(std::move(arg));
        auto job = makeJob<F, A>(fn, std::move(items), "apply", 1, false);
        if (callback) {
            job->successCallback = [callback = std::move(callback)](detail::ResultJob<R>& done) {
                callback(done.results[0]);
            };
        }
        job->errorCallback = std::move(errorCallback);
        core_->submit(job, callerWaits);
        return AsyncResult<R>(core_, job, [](detail::PoolJob& done) {
            return static_cast<detail::ResultJob<R>&>(done).results[0];
        });
    }

    std::shared_ptr<detail::PoolCore> core_;
};

} // namespace forkscope
