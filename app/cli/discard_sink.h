#pragma once

#include "events/event_sink.h"

#include <cstdint>
#include <span>

namespace forkscope::cli {

/// A monitor's sink that keeps nothing: for benchmarks of the emitting side, which is what a
/// traced primitive pays (the monitor drains on its own thread).
class DiscardSink final : public EventSink {
public:
    void appendEvents(std::span<const Event> events) override { count_ += events.size(); }
    void recordProcess(const ProcessInfo&) override {}
    void recordObject(const ObjectInfo&) override {}
    void recordDrops(std::int32_t, std::uint64_t) override {}

private:
    std::uint64_t count_ = 0;
};

} // namespace forkscope::cli
