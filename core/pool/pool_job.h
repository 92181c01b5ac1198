#pragma once

#include "process/byte_archives.h"
#include "wire_reader.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace forkscope::detail {

/// How a job's function reaches a worker: a registered id, or (fork only) the address of a
/// closureInvoker instantiation and the callable's bytes.
struct TaskFunctionRef {
    std::uint64_t id = 0; ///< 0: a closure
    std::uint64_t closureInvoker = 0;
    Bytes closure;
    std::string description;
};

enum class ItemState : std::uint8_t { Pending, Done, Failed };

/// One call of apply/map/imap/starmap: its items are cut into chunks, each chunk is one
/// dispatch to one worker and one result frame back. Everything below "guarded" is touched only
/// under the owning pool's mutex.
class PoolJob {
public:
    PoolJob(std::uint64_t id, std::string kind, std::size_t items, std::size_t chunksize, TaskFunctionRef fn,
            bool trackItems)
        : id(id), kind(std::move(kind)), items(items), chunksize(std::max<std::size_t>(1, chunksize)),
          chunks((items + this->chunksize - 1) / this->chunksize), fn(std::move(fn)), trackItems(trackItems) {
        if (trackItems) {
            itemStates.assign(items, ItemState::Pending);
        }
    }
    PoolJob(const PoolJob&) = delete;
    PoolJob& operator=(const PoolJob&) = delete;
    virtual ~PoolJob() = default;

    /// Encodes the arguments of items [begin, end) with one archive into `out`.
    virtual void encodeChunk(std::size_t begin, std::size_t end, Bytes& out) const = 0;
    /// Decodes the results of items [begin, end).
    virtual void decodeChunk(std::size_t begin, std::size_t end, std::span<const std::uint8_t> in) = 0;
    [[nodiscard]] virtual bool hasSuccessCallback() const = 0;
    /// Called by the pool's driver, outside the pool's lock, before get() may return (as
    /// Python calls the callback before setting the result's event).
    virtual void runSuccessCallback() = 0;

    [[nodiscard]] std::size_t chunkBegin(std::size_t chunk) const { return chunk * chunksize; }
    [[nodiscard]] std::size_t chunkEnd(std::size_t chunk) const {
        return std::min(items, (chunk + 1) * chunksize);
    }
    [[nodiscard]] std::string describe() const { return kind + " job " + std::to_string(id); }

    const std::uint64_t id;
    const std::string kind;
    const std::size_t items;
    const std::size_t chunksize;
    const std::size_t chunks;
    const TaskFunctionRef fn;
    const bool trackItems; ///< imap: results are consumed item by item, errors chunk by chunk
    std::function<void(const std::exception&)> errorCallback;

    // guarded by the pool's mutex
    std::size_t nextChunk = 0;
    std::size_t chunksDone = 0;
    bool finished = false; ///< the outcome is decided; callbacks may still be running
    bool complete = false; ///< callbacks ran: waiters may return
    std::exception_ptr error;
    std::vector<ItemState> itemStates;
    std::deque<std::size_t> arrivals;                      ///< chunks in the order their results came
    std::map<std::size_t, std::exception_ptr> chunkErrors; ///< by chunk index (imap)
};

/// A job whose results are R values, decoded as they arrive.
template <class R> class ResultJob : public PoolJob {
public:
    ResultJob(std::uint64_t id, std::string kind, std::size_t items, std::size_t chunksize,
              TaskFunctionRef fn, bool trackItems)
        : PoolJob(id, std::move(kind), items, chunksize, std::move(fn), trackItems), results(items) {}

    void decodeChunk(std::size_t begin, std::size_t end, std::span<const std::uint8_t> in) override {
        ByteInputArchive archive(in);
        for (std::size_t i = begin; i < end; ++i) {
            R value{};
            archive(value);
            results[i] = std::move(value);
        }
    }
    [[nodiscard]] bool hasSuccessCallback() const override { return static_cast<bool>(successCallback); }
    void runSuccessCallback() override { successCallback(*this); }

    std::vector<R> results;
    std::function<void(ResultJob&)> successCallback;
};

/// A job with its arguments (Item as given by the caller, Wire as the function's parameters).
template <class Wire, class Item, class R> class TypedJob final : public ResultJob<R> {
public:
    TypedJob(std::uint64_t id, std::string kind, std::vector<Item> args, std::size_t chunksize,
             TaskFunctionRef fn, bool trackItems)
        : ResultJob<R>(id, std::move(kind), args.size(), chunksize, std::move(fn), trackItems),
          args_(std::move(args)) {}

    void encodeChunk(std::size_t begin, std::size_t end, Bytes& out) const override {
        ByteOutputArchive archive(out);
        for (std::size_t i = begin; i < end; ++i) {
            if constexpr (std::is_same_v<Item, Wire>) {
                archive(args_[i]);
            } else {
                const Wire converted(args_[i]);
                archive(converted);
            }
        }
    }

private:
    std::vector<Item> args_;
};

} // namespace forkscope::detail
