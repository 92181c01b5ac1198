#include "synthetic_trace.h"

#include "trace_writer.h"

#include <random>
#include <string>
#include <vector>

namespace forkscope {

namespace {

constexpr int kProcesses = 64;
constexpr std::int32_t kFirstPid = 1000;
constexpr std::uint64_t kLocks = 8;
constexpr std::uint64_t kFirstLock = kFirstObjectId;
constexpr std::uint64_t kFirstQueue = kFirstObjectId + 100;
constexpr std::uint64_t kFirstPipe = kFirstObjectId + 200;
constexpr std::uint64_t kPool = kFirstObjectId + 300;
constexpr std::uint64_t kPoolWorkers = 8;

void registerEverything(TraceWriter& writer, bool pool) {
    for (int i = 0; i < kProcesses; ++i) {
        const std::int32_t pid = kFirstPid + i;
        const bool worker = pool && i < static_cast<int>(kPoolWorkers);
        writer.recordProcess({pid, i == 0 ? 0 : kFirstPid,
                              i == 0 ? "main" : (worker ? "Pool-1-worker-" : "worker-") + std::to_string(i),
                              i == 0 ? -1 : 0, 1'000'000});
    }
    for (std::uint64_t i = 0; i < kLocks; ++i) {
        writer.recordObject(
            {kFirstLock + i, ObjectKind::Lock, "lock-" + std::to_string(i), 0, kFirstPid, 1'000'000});
    }
    for (std::uint64_t i = 0; i < 4; ++i) {
        writer.recordObject(
            {kFirstQueue + i, ObjectKind::Queue, "queue-" + std::to_string(i), 65536, kFirstPid, 1'000'000});
        writer.recordObject(
            {kFirstPipe + i, ObjectKind::Pipe, "pipe-" + std::to_string(i), 65536, kFirstPid, 1'000'000});
    }
    if (pool) {
        writer.recordObject({kPool, ObjectKind::Pool, "Pool-1", kPoolWorkers, kFirstPid, 1'000'000});
    }
}

} // namespace

void writeSyntheticTrace(const std::filesystem::path& path, std::uint64_t events,
                         const SyntheticTraceOptions& options) {
    TraceWriter writer(path, TraceMeta{"synthetic-seek-benchmark", "{}", "fork", {}, {}});
    if (options.named) {
        registerEverything(writer, options.pool);
    }
    std::mt19937_64 rng(1);
    std::vector<Event> batch;
    batch.reserve(100'000);
    std::int64_t ts = 1'000'000;
    std::uint64_t written = 0;
    std::vector<std::int32_t> owner(kLocks, 0);
    std::vector<std::uint64_t> runningTask(kPoolWorkers, 0); // 0: the worker is idle
    std::uint64_t nextTask = 1;
    const std::uint64_t kinds = options.pool ? 5 : 4;
    while (written < events) {
        ts += static_cast<std::int64_t>(rng() % 2000);
        const auto pid = static_cast<std::int32_t>(kFirstPid + rng() % kProcesses);
        const std::uint64_t which = rng() % kLocks;
        Event e;
        e.ts = ts;
        e.pid = pid;
        e.tid = pid;
        switch (rng() % kinds) {
        case 0:
            e.type = owner[which] == 0 ? EventType::LockAcquire : EventType::LockWait;
            e.object = kFirstLock + which;
            e.arg = 1;
            if (owner[which] == 0) {
                owner[which] = pid;
            }
            break;
        case 1:
            e.type = EventType::LockRelease;
            e.object = kFirstLock + which;
            e.pid = owner[which] != 0 ? owner[which] : pid;
            owner[which] = 0;
            break;
        case 2:
            e.type = rng() % 2 ? EventType::QueuePut : EventType::QueueGet;
            e.object = kFirstQueue + which % 4;
            e.arg = 64;
            break;
        case 3:
            e.type = rng() % 2 ? EventType::PipeSend : EventType::PipeRecv;
            e.object = kFirstPipe + which % 4;
            e.arg = 512;
            break;
        default: {
            // The pool: the main process queues a task, or a worker starts or finishes one.
            const std::uint64_t worker = which % kPoolWorkers;
            e.object = kPool;
            if (rng() % 3 == 0) {
                e.type = EventType::PoolTaskQueued;
                e.pid = e.tid = kFirstPid;
                e.arg = nextTask++;
            } else {
                e.pid = e.tid = kFirstPid + static_cast<std::int32_t>(worker);
                e.type = runningTask[worker] == 0 ? EventType::PoolTaskStarted : EventType::PoolTaskFinished;
                if (runningTask[worker] == 0) {
                    runningTask[worker] = nextTask++;
                }
                e.arg = runningTask[worker];
                if (e.type == EventType::PoolTaskFinished) {
                    runningTask[worker] = 0;
                }
            }
            break;
        }
        }
        batch.push_back(e);
        ++written;
        if (batch.size() == batch.capacity() || written == events) {
            writer.appendEvents(batch);
            batch.clear();
        }
    }
    writer.finish();
}

} // namespace forkscope
