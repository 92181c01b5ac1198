#pragma once

#include "event_store.h"
#include "trace_update.h"

#include <QObject>
#include <QString>
#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace forkscope {

/// Everything the views show about one trace, kept in the GUI thread and grown by the
/// follower's updates. Events cost 40 bytes each here (the raw record, in chunks); the derived
/// series are one compact 16-byte point per change (levels, lock waits/holds, pool tasks), so
/// that a 10-million-event recording stays under 100 bytes an event in all
/// (docs/performance.md). Models and views read it; only TraceSession feeds it.
class TraceData : public QObject {
    Q_OBJECT
public:
    explicit TraceData(QObject* parent = nullptr);

    void clear();
    void apply(const TraceUpdate& update);

    [[nodiscard]] const EventStore& events() const noexcept { return events_; }
    [[nodiscard]] bool isEmpty() const noexcept { return events_.empty(); }
    [[nodiscard]] std::int64_t startNs() const noexcept { return startNs_; }
    [[nodiscard]] std::int64_t endNs() const noexcept { return endNs_; }
    [[nodiscard]] bool finished() const noexcept { return finished_; }
    /// Events in the file so far (the follower may still be reading them: a big recording).
    [[nodiscard]] std::uint64_t eventsInFile() const noexcept {
        return std::max<std::uint64_t>(fileEvents_, events_.size());
    }
    [[nodiscard]] double toSeconds(std::int64_t ns) const noexcept { return double(ns - startNs_) / 1e9; }
    [[nodiscard]] std::int64_t fromSeconds(double s) const noexcept {
        return startNs_ + static_cast<std::int64_t>(s * 1e9);
    }

    [[nodiscard]] const std::vector<ProcessInfo>& processes() const noexcept { return processes_; }
    [[nodiscard]] const std::vector<ObjectInfo>& objects() const noexcept { return objects_; }
    [[nodiscard]] const std::map<std::string, std::string>& meta() const noexcept { return meta_; }
    [[nodiscard]] QString metaValue(const std::string& key) const;
    [[nodiscard]] const std::map<std::int32_t, std::vector<PhaseChange>>& phases() const noexcept {
        return phases_;
    }
    [[nodiscard]] const std::map<std::uint64_t, std::vector<LevelPoint>>& levels() const noexcept {
        return levels_;
    }
    [[nodiscard]] const std::map<std::uint64_t, std::vector<LockPoint>>& lockSamples() const noexcept {
        return lockSamples_;
    }
    /// Per pool: busy workers after each task start/finish (and busy-worker death).
    [[nodiscard]] const std::map<std::uint64_t, std::vector<PoolPoint>>& poolSamples() const noexcept {
        return poolSamples_;
    }
    /// What this object holds in memory (events, series, tables), in bytes: the benchmark's
    /// breakdown of the memory per event.
    [[nodiscard]] std::size_t memoryBytes() const noexcept;

    /// "worker-1", or "pid 1234" for a process the trace did not name.
    [[nodiscard]] QString processName(std::int32_t pid) const;
    /// "results (Queue)", a process name for a pid, or the hex id.
    [[nodiscard]] QString objectName(std::uint64_t id) const;
    [[nodiscard]] std::optional<ObjectInfo> object(std::uint64_t id) const;
    /// The phase of `pid` at time t (Created before anything is known).
    [[nodiscard]] std::optional<PhaseChange> phaseAt(std::int32_t pid, std::int64_t t) const;
    /// Index of the last event with ts <= t, or -1.
    [[nodiscard]] std::ptrdiff_t lastEventAtOrBefore(std::int64_t t) const;

Q_SIGNALS:
    void cleared();
    /// Events [first, last) were appended (and the derived series with them).
    void appended(std::size_t first, std::size_t last);
    /// Processes, objects or meta changed (the diagnosis arrives in the meta at the end).
    void tablesChanged();

private:
    EventStore events_;
    std::int64_t startNs_ = 0;
    std::int64_t endNs_ = 0;
    bool finished_ = false;
    std::uint64_t fileEvents_ = 0;
    std::vector<ProcessInfo> processes_;
    std::vector<ObjectInfo> objects_;
    std::map<std::uint64_t, std::size_t> objectIndex_;
    std::map<std::int32_t, std::size_t> processIndex_;
    std::map<std::string, std::string> meta_;
    std::map<std::int32_t, std::vector<PhaseChange>> phases_;
    std::map<std::uint64_t, std::vector<LevelPoint>> levels_;
    std::map<std::uint64_t, std::vector<LockPoint>> lockSamples_;
    std::map<std::uint64_t, std::vector<PoolPoint>> poolSamples_;
};

} // namespace forkscope
