#include "pool_worker.h"

#include "events/emit.h"
#include "events/wait_trace.h"
#include "pool_task_registry.h"
#include "worker_channel.h"

#include <chrono>
#include <csignal>
#include <poll.h>

namespace forkscope::detail {

FORKSCOPE_TASK(forkscopePoolWorkerMain);

namespace {

using Clock = std::chrono::steady_clock;

/// Results are batched, but never held back long: a caller may be waiting on the first one.
constexpr auto kFlushInterval = std::chrono::microseconds(200);
constexpr std::size_t kFlushBytes = 256 * 1024;

void runChunk(const PoolWorkerConfig& config, WireReader& reader, Bytes& out) {
    const auto seq = reader.raw<std::uint64_t>();
    const auto fnId = reader.raw<std::uint64_t>();
    PoolInvoker invoker = nullptr;
    std::span<const std::uint8_t> closure;
    ChunkFailure failure;
    if (fnId == 0) {
        const auto address = reader.raw<std::uint64_t>();
        closure = reader.bytes(reader.raw<std::uint32_t>());
        if (config.acceptClosures) {
            invoker = reinterpret_cast<PoolInvoker>(static_cast<std::uintptr_t>(address));
        } else {
            failure = {0, "forkscope::SerializationError",
                       "a closure reached a worker that was not forked from the pool's process"};
        }
    } else {
        invoker = PoolTaskRegistry::find(fnId);
        if (invoker == nullptr) {
            failure = {0, "forkscope::SerializationError",
                       "the pool task id " + std::to_string(fnId) +
                           " is not registered in this program image"};
        }
    }
    const auto count = reader.raw<std::uint32_t>();
    const std::size_t frame = beginFrame(out);
    out.push_back(wire::kResult);
    putRaw(out, seq);
    const std::size_t status = out.size();
    out.push_back(1);
    // Task id in the trace: the chunk's sequence number (one chunk of a map() is one task).
    trace::emit(EventType::PoolTaskStarted, config.traceId, seq);
    const bool ok = invoker != nullptr && invoker(closure.data(), reader.rest(), count, out, failure);
    trace::emit(EventType::PoolTaskFinished, config.traceId, seq);
    if (!ok) {
        out.resize(status);
        out.push_back(0);
        putRaw(out, failure.offset);
        putText(out, failure.type);
        putText(out, failure.message);
    }
    finishFrame(out, frame);
}

} // namespace

void runPoolWorker(const PoolWorkerConfig& config, const Target* initializer, TaskArgs& args) {
    std::signal(SIGINT, SIG_IGN);
    if (initializer != nullptr) {
        initializer->run(args); // an exception ends the worker with exit code 1, as in Python
    }
    WorkerChannel channel(config.socket.fd());
    std::uint64_t done = 0;
    auto lastFlush = Clock::now();
    // The worker waits for its parent without a limit: when the parent dies, the worker is
    // killed by its parent-death signal, and the parent never leaves a dispatched task unread.
    const fdio::Timeout forever = std::nullopt;
    bool open = true;
    for (;;) {
        auto frame = channel.nextFrame();
        if (!frame) {
            channel.flushBlocking(forever);
            lastFlush = Clock::now();
            if (config.maxTasks != 0 && done >= config.maxTasks) {
                return; // retire: the parent sends no more than the budget and replaces us
            }
            if (!open) {
                return; // the parent closed the channel
            }
            // Idle: waiting for the next task (the wait-for graph knows an idle worker is never
            // what a hang waits on).
            WaitTrace idle;
            idle.begin(config.traceId, EventType::PoolTaskQueued);
            open = channel.fillBlocking();
            idle.end();
            continue;
        }
        WireReader reader(*frame);
        const auto kind = reader.raw<std::uint8_t>();
        if (kind == wire::kStop) {
            channel.flushBlocking(forever);
            return;
        }
        if (kind != wire::kChunk) {
            throw SerializationError("pool worker: unknown frame kind " + std::to_string(kind));
        }
        runChunk(config, reader, channel.output());
        ++done;
        const auto now = Clock::now();
        if (channel.output().size() > kFlushBytes || now - lastFlush > kFlushInterval) {
            channel.flushBlocking(forever);
            lastFlush = now;
        }
    }
}

void forkscopePoolWorkerMain(TaskArgs& args) {
    if (args.size() == 0) {
        throw ProcessError("pool worker started without its configuration");
    }
    const PoolWorkerConfig& config = args.get<PoolWorkerConfig>(args.size() - 1);
    if (config.initializer.empty()) {
        runPoolWorker(config, nullptr, args);
    } else {
        const Target initializer{std::string_view(config.initializer)};
        runPoolWorker(config, &initializer, args);
    }
}

} // namespace forkscope::detail
