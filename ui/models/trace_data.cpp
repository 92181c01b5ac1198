#include "trace_data.h"

#include <algorithm>

namespace forkscope {

TraceData::TraceData(QObject* parent) : QObject(parent) {}

void TraceData::clear() {
    events_.clear();
    startNs_ = endNs_ = 0;
    finished_ = false;
    fileEvents_ = 0;
    processes_.clear();
    objects_.clear();
    objectIndex_.clear();
    processIndex_.clear();
    meta_.clear();
    phases_.clear();
    levels_.clear();
    lockSamples_.clear();
    poolSamples_.clear();
    Q_EMIT cleared();
}

void TraceData::apply(const TraceUpdate& update) {
    if (update.reset) {
        clear();
    }
    const bool tables = update.processes.size() != processes_.size() ||
                        update.objects.size() != objects_.size() || update.meta != meta_ ||
                        update.finished != finished_;
    fileEvents_ = update.lastSeq;
    processes_ = update.processes;
    objects_ = update.objects;
    meta_ = update.meta;
    finished_ = update.finished;
    objectIndex_.clear();
    for (std::size_t i = 0; i < objects_.size(); ++i) {
        objectIndex_[objects_[i].id] = i;
    }
    processIndex_.clear();
    for (std::size_t i = 0; i < processes_.size(); ++i) {
        processIndex_[processes_[i].pid] = i;
    }
    for (const PhaseChange& c : update.phases) {
        phases_[c.pid].push_back(c);
    }
    for (const LevelSample& s : update.levels) {
        levels_[s.object].push_back(s.point);
    }
    for (const LockSample& s : update.lockSamples) {
        lockSamples_[s.lock].push_back(s.point);
    }
    for (const PoolSample& s : update.poolSamples) {
        poolSamples_[s.pool].push_back(s.point);
    }
    if (!update.events.empty()) {
        const std::size_t first = events_.size();
        if (events_.empty()) {
            startNs_ = update.events.front().ts;
        }
        events_.append(update.events);
        endNs_ = events_.back().ts;
        Q_EMIT appended(first, events_.size());
    }
    // After the events, so a listener that waits for "finished" sees the whole trace.
    if (tables) {
        Q_EMIT tablesChanged();
    }
}

QString TraceData::metaValue(const std::string& key) const {
    auto it = meta_.find(key);
    return it == meta_.end() ? QString() : QString::fromStdString(it->second);
}

QString TraceData::processName(std::int32_t pid) const {
    auto it = processIndex_.find(pid);
    if (it != processIndex_.end() && !processes_[it->second].name.empty()) {
        return QString::fromStdString(processes_[it->second].name);
    }
    return QStringLiteral("pid %1").arg(pid);
}

QString TraceData::objectName(std::uint64_t id) const {
    if (id == 0) {
        return QString();
    }
    if (id < kFirstObjectId) {
        return processName(static_cast<std::int32_t>(id));
    }
    auto it = objectIndex_.find(id);
    if (it != objectIndex_.end()) {
        const ObjectInfo& o = objects_[it->second];
        return QString::fromStdString(o.name.empty() ? std::string(objectKindName(o.kind)) : o.name);
    }
    return QStringLiteral("#%1").arg(id - kFirstObjectId, 0, 16);
}

std::optional<ObjectInfo> TraceData::object(std::uint64_t id) const {
    auto it = objectIndex_.find(id);
    if (it == objectIndex_.end()) {
        return std::nullopt;
    }
    return objects_[it->second];
}

std::optional<PhaseChange> TraceData::phaseAt(std::int32_t pid, std::int64_t t) const {
    auto it = phases_.find(pid);
    if (it == phases_.end() || it->second.empty() || it->second.front().ts > t) {
        return std::nullopt;
    }
    const auto& v = it->second;
    auto after = std::upper_bound(v.begin(), v.end(), t,
                                  [](std::int64_t x, const PhaseChange& c) { return x < c.ts; });
    return *(after - 1);
}

std::ptrdiff_t TraceData::lastEventAtOrBefore(std::int64_t t) const {
    return static_cast<std::ptrdiff_t>(events_.upperBound(t)) - 1;
}

std::size_t TraceData::memoryBytes() const noexcept {
    auto seriesBytes = [](const auto& map) {
        std::size_t bytes = 0;
        for (const auto& [key, v] : map) {
            bytes += v.capacity() * sizeof(v[0]) + 64; // the vector and its map node
        }
        return bytes;
    };
    return events_.memoryBytes() + seriesBytes(phases_) + seriesBytes(levels_) + seriesBytes(lockSamples_) +
           seriesBytes(poolSamples_);
}

} // namespace forkscope
