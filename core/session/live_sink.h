#pragma once

#include "analysis/run_metrics.h"
#include "events/event_sink.h"
#include "trace/state_model.h"

#include <map>
#include <memory>
#include <mutex>

namespace forkscope {

class TraceWriter;

/// What the session host's monitor drains into: the trace file (when recording) and a live
/// model of the run, which the host's watchdog reads to notice a stall while it happens.
class LiveSink final : public EventSink {
public:
    explicit LiveSink(TraceWriter* writer) : writer_(writer) {}

    void appendEvents(std::span<const Event> events) override;
    void recordProcess(const ProcessInfo& process) override;
    void recordObject(const ObjectInfo& object) override;
    void recordDrops(std::int32_t pid, std::uint64_t dropped) override;

    struct Snapshot {
        SystemState state;
        std::map<std::int32_t, ProcessInfo> processes;
        std::map<std::uint64_t, ObjectInfo> objects;
        RunMetrics metrics;
    };
    [[nodiscard]] Snapshot snapshot() const;

private:
    TraceWriter* writer_;
    mutable std::mutex mutex_;
    StateModel model_;
    std::uint64_t seq_ = 0;
    RunMetrics metrics_;
    std::map<std::int32_t, ProcessInfo> processes_;
    std::map<std::uint64_t, ObjectInfo> objects_;
    std::map<std::int32_t, std::uint64_t> drops_;
};

} // namespace forkscope
