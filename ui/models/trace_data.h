#pragma once

#include "trace_update.h"

#include <QObject>
#include <QString>
#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace forkscope {

/// Everything the views show about one trace, kept in the GUI thread and grown by the
/// follower's updates. Events cost 40 bytes each here (the raw record); the derived series are
/// one sample per change. Models and views read it; only TraceSession feeds it.
class TraceData : public QObject {
    Q_OBJECT
public:
    explicit TraceData(QObject* parent = nullptr);

    void clear();
    void apply(const TraceUpdate& update);

    [[nodiscard]] const std::vector<Event>& events() const noexcept { return events_; }
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
    [[nodiscard]] const std::map<std::uint64_t, std::vector<LevelSample>>& levels() const noexcept {
        return levels_;
    }
    [[nodiscard]] const std::map<std::uint64_t, std::vector<LockSample>>& lockSamples() const noexcept {
        return lockSamples_;
    }

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
    std::vector<Event> events_;
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
    std::map<std::uint64_t, std::vector<LevelSample>> levels_;
    std::map<std::uint64_t, std::vector<LockSample>> lockSamples_;
};

} // namespace forkscope
