#pragma once

#include "trace/state_model.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace forkscope {

/// The headline numbers of a run, accumulated event by event. The session host feeds it live
/// and `replay` feeds it from a recording, through the same StateModel, so both report the
/// same figures.
class RunMetrics {
public:
    /// Call after StateModel::apply(e) with its effect and the state it produced.
    void add(const Event& e, const ApplyEffect& effect, const SystemState& state);
    void setDropped(std::uint64_t dropped) noexcept { dropped_ = dropped; }
    /// Time spent as a zombie by `pid` up to `endNs` (ended and not yet reaped).
    [[nodiscard]] double zombieMs(std::int32_t pid, std::int64_t endNs) const;
    /// A helper process (forkserver, manager server, resource tracker) that ended abnormally
    /// during the run, as its parent reported when it reaped it.
    struct HelperLoss {
        std::int32_t pid = 0;
        HelperRole role = HelperRole::Unknown;
        std::int64_t exitCode = 0; ///< negative: the signal
        std::int64_t ts = 0;
    };
    [[nodiscard]] const std::vector<HelperLoss>& helperLosses() const noexcept { return helperLosses_; }
    /// The `metrics` object of the run summary.
    [[nodiscard]] nlohmann::json toJson() const;

private:
    std::int64_t queueDepthMax_ = 0;
    std::int64_t pipeFillMax_ = 0;
    std::int64_t lockWaitNs_ = 0;
    std::uint64_t acquisitions_ = 0;
    std::uint64_t contended_ = 0;
    int zombiesMax_ = 0;
    std::uint64_t events_ = 0;
    std::uint64_t dropped_ = 0;
    struct Zombie {
        std::int64_t since = -1; ///< -1: not a zombie now
        std::int64_t totalNs = 0;
    };
    std::map<std::int32_t, Zombie> zombies_;
    std::vector<HelperLoss> helperLosses_;
};

} // namespace forkscope
