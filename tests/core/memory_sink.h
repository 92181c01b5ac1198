#pragma once

// An EventSink that keeps everything in memory, for tests of the monitor.

#include "events/event_sink.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

namespace forkscope::test {

class MemorySink final : public EventSink {
public:
    void appendEvents(std::span<const Event> events) override {
        std::lock_guard lock(mutex_);
        for (const Event& e : events) {
            if (!events_.empty() && e.ts < events_.back().ts) {
                outOfOrder_ = true;
            }
            events_.push_back(e);
        }
    }
    void recordProcess(const ProcessInfo& process) override {
        std::lock_guard lock(mutex_);
        processes_[process.pid] = process;
    }
    void recordObject(const ObjectInfo& object) override {
        std::lock_guard lock(mutex_);
        objects_[object.id] = object;
    }
    void recordDrops(std::int32_t pid, std::uint64_t dropped) override {
        std::lock_guard lock(mutex_);
        drops_[pid] = dropped;
    }

    std::vector<Event> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::vector<Event> eventsOf(std::int32_t pid) const {
        std::vector<Event> all = events();
        std::erase_if(all, [&](const Event& e) { return e.pid != pid; });
        return all;
    }
    bool has(EventType type, std::uint64_t object) const {
        std::vector<Event> all = events();
        return std::any_of(all.begin(), all.end(),
                           [&](const Event& e) { return e.type == type && e.object == object; });
    }
    std::map<std::int32_t, ProcessInfo> processes() const {
        std::lock_guard lock(mutex_);
        return processes_;
    }
    std::map<std::uint64_t, ObjectInfo> objects() const {
        std::lock_guard lock(mutex_);
        return objects_;
    }
    std::uint64_t dropsOf(std::int32_t pid) const {
        std::lock_guard lock(mutex_);
        auto it = drops_.find(pid);
        return it == drops_.end() ? 0 : it->second;
    }
    bool outOfOrder() const {
        std::lock_guard lock(mutex_);
        return outOfOrder_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Event> events_;
    std::map<std::int32_t, ProcessInfo> processes_;
    std::map<std::uint64_t, ObjectInfo> objects_;
    std::map<std::int32_t, std::uint64_t> drops_;
    bool outOfOrder_ = false;
};

} // namespace forkscope::test
