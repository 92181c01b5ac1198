#include "state_at.h"

#include "trace/state_model.h"

namespace forkscope {

SystemState StateAt::at(std::int64_t t) {
    std::optional<Keyframe> keyframe = reader_.keyframeAtOrBefore(t);
    const std::uint64_t from = keyframe ? keyframe->seq : 0;
    StateModel model(keyframe ? std::move(keyframe->state) : SystemState{});
    lastReplayed_ = 0;
    reader_.forEachEvent(from, t, [&](std::uint64_t seq, const Event& e) {
        model.apply(e, seq);
        ++lastReplayed_;
        return true;
    });
    return model.state();
}

} // namespace forkscope
