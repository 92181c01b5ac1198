#pragma once

#include "process/byte_archives.h"
#include "process/errors.h"
#include "process/task_registry.h"
#include "process/type_name.h"
#include "wire_reader.h"

#include <cereal/types/tuple.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace forkscope {

namespace detail {

/// Why a chunk stopped: the item's offset in the chunk, the exception's type and message.
struct ChunkFailure {
    std::uint32_t offset = 0;
    std::string type;
    std::string message;
};

/// Runs `count` items of a chunk in a worker: decodes each argument pack from `in`, calls the
/// function, encodes each result into `out`. Returns false at the first exception (Python's
/// mapstar fails the whole chunk), describing it in `failure`.
using PoolInvoker = bool (*)(const void* closure, std::span<const std::uint8_t> in, std::uint32_t count,
                             Bytes& out, ChunkFailure& failure);

/// What travels for one parameter list: the parameter itself for one parameter, a tuple for
/// several (or none), so starmap and multi-argument apply use std::apply.
template <class... P> struct WireOf { using type = std::tuple<std::decay_t<P>...>; };
template <class P> struct WireOf<P> { using type = std::decay_t<P>; };

template <class F> struct FunctionTraits;
template <class R, class... P> struct FunctionTraits<R (*)(P...)> {
    using Wire = typename WireOf<P...>::type;
};
template <class R, class... P> struct FunctionTraits<R (*)(P...) noexcept> {
    using Wire = typename WireOf<P...>::type;
};

template <class F, class Wire> decltype(auto) callWith(F& fn, Wire& pack) {
    if constexpr (std::is_invocable_v<F&, Wire&>) {
        return std::invoke(fn, pack);
    } else {
        return std::apply(fn, pack);
    }
}

template <class F, class Wire>
using CallResult = std::decay_t<decltype(callWith(std::declval<F&>(), std::declval<Wire&>()))>;

template <class F, class Wire>
bool runChunk(F& fn, std::span<const std::uint8_t> in, std::uint32_t count, Bytes& out,
              ChunkFailure& failure) {
    using R = CallResult<F, Wire>;
    static_assert(!std::is_void_v<R>,
                  "a pool task must return a value (return a bool or an int for 'nothing')");
    ByteInputArchive input(in);
    ByteOutputArchive output(out);
    for (std::uint32_t i = 0; i < count; ++i) {
        try {
            Wire pack{};
            input(pack);
            R result = callWith(fn, pack);
            output(result);
        } catch (const SystemExit&) {
            throw; // exitProcess() in a task ends the worker, as sys.exit() does in Python's
        } catch (const std::exception& e) {
            failure = {i, demangledName(typeid(e)), e.what()};
            return false;
        } catch (...) {
            failure = {i, "an exception of unknown type", "(not derived from std::exception)"};
            return false;
        }
    }
    return true;
}

template <auto Fn>
bool registeredInvoker(const void* /*closure*/, std::span<const std::uint8_t> in, std::uint32_t count,
                       Bytes& out, ChunkFailure& failure) {
    auto fn = Fn;
    return runChunk<decltype(fn), typename FunctionTraits<decltype(Fn)>::Wire>(fn, in, count, out, failure);
}

/// Under fork the worker has this image's code at the same addresses, so a trivially copyable
/// callable travels as (this function's address, the callable's bytes).
template <class F, class Wire>
bool closureInvoker(const void* closure, std::span<const std::uint8_t> in, std::uint32_t count, Bytes& out,
                    ChunkFailure& failure) {
    static_assert(std::is_trivially_copyable_v<F>);
    alignas(F) unsigned char storage[sizeof(F)];
    std::memcpy(storage, closure, sizeof(F)); // the frame's bytes may be unaligned
    F& fn = *std::launder(reinterpret_cast<F*>(storage));
    return runChunk<F, Wire>(fn, in, count, out, failure);
}

} // namespace detail

/// The functions a pool worker of a fresh image (spawn, forkserver) can find: the analogue of
/// a picklable module-level function. Ids are a hash of the name, so they do not depend on the
/// order of static initialisation.
class PoolTaskRegistry {
public:
    using Key = void (*)();
    /// Registers fn as `name`; two different functions under one name (or one hash) abort at
    /// start-up, since a worker could otherwise run the wrong code.
    static bool add(std::string_view name, Key fn, detail::PoolInvoker invoker);
    /// The id of a registered function, or 0.
    [[nodiscard]] static std::uint64_t idOf(Key fn);
    [[nodiscard]] static detail::PoolInvoker find(std::uint64_t id);
    [[nodiscard]] static std::string nameOf(std::uint64_t id);
};

} // namespace forkscope

/// Registers `R fn(const A&)` (or `R fn(const A&, const B&, ...)`, called with a tuple) as a pool
/// task: arguments and results are cereal-serialised, so every start method can run it.
#define FORKSCOPE_POOL_TASK(fn)                                                                              \
    [[maybe_unused]] static const bool FORKSCOPE_CONCAT(forkscopePoolTaskRegistered_, __LINE__) =            \
        ::forkscope::PoolTaskRegistry::add(#fn, reinterpret_cast<::forkscope::PoolTaskRegistry::Key>(&fn),   \
                                           &::forkscope::detail::registeredInvoker<&fn>)
