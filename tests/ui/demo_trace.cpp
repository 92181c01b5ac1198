#include "demo_trace.h"

#include <algorithm>

namespace forkscope::test {

namespace {

constexpr std::int64_t ms(double v) {
    return static_cast<std::int64_t>(v * 1'000'000);
}

class Script {
public:
    void add(std::int64_t offset, std::int32_t pid, EventType type, std::uint64_t object,
             std::uint64_t arg = 0, std::int32_t tid = 0, std::uint32_t aux = 0) {
        Event e;
        e.ts = DemoTrace::kStart + offset;
        e.pid = pid;
        e.tid = tid == 0 ? pid : tid;
        e.type = type;
        e.object = object;
        e.arg = arg;
        e.aux = aux;
        events_.push_back(e);
    }
    std::vector<Event> take() {
        std::stable_sort(events_.begin(), events_.end(),
                         [](const Event& a, const Event& b) { return a.ts < b.ts; });
        return std::move(events_);
    }

private:
    std::vector<Event> events_;
};

} // namespace

std::vector<Event> DemoTrace::events() {
    Script s;
    const auto w0 = static_cast<std::uint64_t>(kWorker0);
    const auto w1 = static_cast<std::uint64_t>(kWorker1);
    constexpr std::uint64_t item = 8192;
    s.add(0, kMain, EventType::ProcessStarted, kMain, 1);
    s.add(ms(0.4), kMain, EventType::ObjectCreated, kQueue, static_cast<std::uint64_t>(ObjectKind::Queue));
    s.add(ms(0.5), kMain, EventType::ObjectCreated, kLock, static_cast<std::uint64_t>(ObjectKind::Lock));
    s.add(ms(2), kMain, EventType::ProcessCreated, w0, 0);
    s.add(ms(3), kMain, EventType::ProcessCreated, w1, 0);
    s.add(ms(4), kWorker0, EventType::ProcessStarted, w0, kMain);
    s.add(ms(5), kWorker1, EventType::ProcessStarted, w1, kMain);

    // worker-0 puts 12 items; worker-1 puts 2. Both print under print-lock after each put, and
    // they collide on it. worker-0's feeder drains its buffer into the pipe until 64 KiB.
    std::int64_t pipe = 0;
    int blockedAt = -1;
    for (int i = 0; i < 12; ++i) {
        const std::int64_t t = ms(10 + i * 22.0);
        s.add(t, kWorker0, EventType::QueuePut, kQueue, item);
        if (pipe + std::int64_t(item) <= 65536) {
            s.add(t + ms(0.3), kWorker0, EventType::QueueFeederWrite, kQueue, item, kWorker0 + 50'000);
            pipe += std::int64_t(item);
        } else if (blockedAt < 0) {
            blockedAt = i;
            // aux: the pipe's capacity, as Queue's feeder reports it.
            s.add(t + ms(0.3), kWorker0, EventType::QueueFeederBlocked, kQueue, item, kWorker0 + 50'000,
                  65536);
        }
        // print(...) under the lock: held 6 ms
        s.add(t + ms(1), kWorker0, EventType::LockAcquire, kLock, 1);
        s.add(t + ms(7), kWorker0, EventType::LockRelease, kLock, 0);
    }
    for (int i = 0; i < 2; ++i) {
        const std::int64_t t = ms(13 + i * 22.0);
        s.add(t, kWorker1, EventType::LockWait, kLock);
        s.add(t + ms(5), kWorker1, EventType::LockAcquire, kLock, 1); // after worker-0's release at t+5
        s.add(t + ms(9), kWorker1, EventType::LockRelease, kLock, 0);
        s.add(t + ms(10), kWorker1, EventType::QueuePut, kQueue, 512);
    }
    // worker-1 is done early: a small result fits in the pipe (its feeder got there first).
    s.add(ms(60), kWorker1, EventType::ProcessExited, w1, 0);
    s.add(ms(65), kMain, EventType::ProcessZombie, w1, 0);
    // worker-0 finished its loop: at exit it waits for its feeder, which waits for pipe room.
    s.add(ms(10 + 11 * 22.0 + 8), kWorker0, EventType::Blocked, kQueue,
          static_cast<std::uint64_t>(EventType::QueueFeederBlocked));
    // main joins worker-0 first (the hazard), and only then would get the results.
    s.add(ms(120), kMain, EventType::Blocked, w0, static_cast<std::uint64_t>(EventType::ProcessReaped));
    // The host gives up at 1.2 s: it kills worker-0 and reaps both workers.
    s.add(kTeardown - kStart, kMain, EventType::ProcessReaped, w0, static_cast<std::uint64_t>(-9));
    s.add(kTeardown - kStart + ms(1), kMain, EventType::ProcessReaped, w1, 0);
    return s.take();
}

std::string DemoTrace::diagnosisJson() {
    return R"json({"kind": "deadlock",
 "chain": ["main joins worker-0", "worker-0 waits for its feeder thread to flush results",
           "the feeder thread waits for room in the pipe of results (64 KiB, full)",
           "only main empties that pipe, and main is still joining worker-0"],
 "explanation": "A process that put items on a queue does not end until its feeder thread has written them all into the pipe. main joins worker-0 before taking the results out, so the pipe stays full and nobody can move.",
 "guideline": "Joining processes that use queues",
 "fix": "Get every item from the queue before joining the worker that put them (or call cancel_join_thread(), accepting lost data).",
 "graph": {"nodes": [{"id": "p:4100", "label": "main", "kind": "process"},
                     {"id": "p:4101", "label": "worker-0", "kind": "process"},
                     {"id": "t:4101:feeder", "label": "worker-0 feeder", "kind": "thread"},
                     {"id": "r:results", "label": "results pipe (full)", "kind": "resource"}],
           "edges": [{"from": "p:4100", "to": "p:4101", "label": "joins"},
                     {"from": "p:4101", "to": "t:4101:feeder", "label": "waits for flush"},
                     {"from": "t:4101:feeder", "to": "r:results", "label": "blocked writing"},
                     {"from": "r:results", "to": "p:4100", "label": "drained only by"}],
           "cycle": ["p:4100", "p:4101", "t:4101:feeder", "r:results"]}})json";
}

TraceMeta DemoTrace::meta() {
    TraceMeta m;
    m.scenario = "queue-join-deadlock";
    m.parameters = R"({"workers": 2, "items": 12, "item_bytes": 8192})";
    m.startMethod = "fork";
    m.host = "demo";
    m.extra["variant"] = "hazard";
    return m;
}

void DemoTrace::recordTables(TraceWriter& writer) {
    writer.recordProcess({kMain, 1, "main", -1, kStart});
    writer.recordProcess({kWorker0, kMain, "worker-0", 0, kStart + ms(2)});
    writer.recordProcess({kWorker1, kMain, "worker-1", 0, kStart + ms(3)});
    writer.recordObject({kQueue, ObjectKind::Queue, "results", 65536, kMain, kStart + ms(0.4)});
    writer.recordObject({kLock, ObjectKind::Lock, "print-lock", 0, kMain, kStart + ms(0.5)});
}

void DemoTrace::write(const std::filesystem::path& path) {
    TraceWriter writer(path, meta());
    recordTables(writer);
    const auto all = events();
    writer.appendEvents(all);
    writer.setMeta("teardown_ns", std::to_string(kTeardown));
    writer.setMeta("diagnosis", diagnosisJson());
    writer.finish();
}

} // namespace forkscope::test
