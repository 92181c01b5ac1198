#pragma once

#include "events/event.h"
#include "trace/trace_writer.h"

#include <filesystem>
#include <string>
#include <vector>

namespace forkscope::test {

/// A realistic recording of queue-join-deadlock, made with TraceWriter directly (the tests and
/// the screenshots must not depend on the scenarios being runnable): main starts worker-0 and
/// worker-1 (fork); both put 8 KiB items into `results` (pipe capacity 64 KiB) and take turns
/// on `print-lock` (contended); worker-1 exits early and stays a zombie because main joins
/// worker-0 first; worker-0's feeder fills the pipe and blocks; worker-0 waits for its feeder at
/// exit; main waits to join worker-0 before it ever gets: a deadlock. At 1.2 s the host tears the
/// run down. The meta holds scenario, parameters, start_method, variant, diagnosis, teardown_ns.
class DemoTrace {
public:
    static constexpr std::int32_t kMain = 4100;
    static constexpr std::int32_t kWorker0 = 4101;
    static constexpr std::int32_t kWorker1 = 4102;
    static constexpr std::uint64_t kQueue = kFirstObjectId + 1;
    static constexpr std::uint64_t kLock = kFirstObjectId + 2;
    static constexpr std::int64_t kStart = 1'000'000'000; ///< CLOCK_MONOTONIC ns of the first event
    static constexpr std::int64_t kTeardown = kStart + 1'200'000'000; ///< the host tears down here

    /// Every event, in time order.
    static std::vector<Event> events();
    static TraceMeta meta();
    static std::string diagnosisJson();
    /// Processes and objects as the monitor would record them.
    static void recordTables(TraceWriter& writer);
    /// Writes the whole trace to `path` (finished).
    static void write(const std::filesystem::path& path);
};

} // namespace forkscope::test
