#include "run_metrics.h"

#include <algorithm>

namespace forkscope {

void RunMetrics::add(const Event& e, const ApplyEffect& effect, const SystemState& state) {
    events_ += 1;
    if (e.type == EventType::EventsDropped) {
        return;
    }
    switch (e.type) {
    case EventType::QueuePut:
    case EventType::QueueGet:
    case EventType::QueueFeederWrite:
        if (auto it = state.queues.find(e.object); it != state.queues.end()) {
            queueDepthMax_ = std::max(queueDepthMax_, it->second.depth);
            pipeFillMax_ = std::max(pipeFillMax_, it->second.pipeBytes);
        }
        break;
    case EventType::QueueFeederBlocked:
        pipeFillMax_ = std::max<std::int64_t>(pipeFillMax_, e.aux); // the pipe is full
        break;
    case EventType::PipeSend:
        if (auto it = state.pipes.find(e.object); it != state.pipes.end()) {
            pipeFillMax_ = std::max(pipeFillMax_, it->second.bytes);
        }
        break;
    case EventType::ProcessExited:
    case EventType::ProcessZombie:
    case EventType::ProcessReaped: {
        zombiesMax_ = std::max(zombiesMax_, state.zombieCount());
        const auto pid = static_cast<std::int32_t>(e.object);
        auto p = state.processes.find(pid);
        Zombie& z = zombies_[pid];
        if (p != state.processes.end() && p->second.phase == ProcessPhase::Zombie && z.since < 0) {
            z.since = p->second.since;
        } else if (e.type == EventType::ProcessReaped && z.since >= 0) {
            z.totalNs += e.ts - z.since;
            z.since = -1;
        }
        break;
    }
    case EventType::HelperEnded:
        helperLosses_.push_back(
            {static_cast<std::int32_t>(e.object), static_cast<HelperRole>(e.aux), e.signedArg(), e.ts});
        break;
    default:
        break;
    }
    if (effect.acquired) {
        acquisitions_ += 1;
        if (effect.contended) {
            contended_ += 1;
            lockWaitNs_ += std::max<std::int64_t>(0, effect.waitNs);
        }
    }
}

double RunMetrics::zombieMs(std::int32_t pid, std::int64_t endNs) const {
    auto it = zombies_.find(pid);
    if (it == zombies_.end()) {
        return 0.0;
    }
    std::int64_t ns = it->second.totalNs;
    if (it->second.since >= 0 && endNs > it->second.since) {
        ns += endNs - it->second.since;
    }
    return static_cast<double>(ns) / 1e6;
}

nlohmann::json RunMetrics::toJson() const {
    return {{"queue_depth_max", queueDepthMax_},
            {"pipe_fill_max_bytes", pipeFillMax_},
            {"lock_wait_ms_total", static_cast<double>(lockWaitNs_) / 1e6},
            {"lock_contention_ratio",
             acquisitions_ == 0 ? 0.0 : static_cast<double>(contended_) / static_cast<double>(acquisitions_)},
            {"zombies_max", zombiesMax_},
            {"events", events_},
            {"events_dropped", dropped_}};
}

} // namespace forkscope
