#include "live_sink.h"

#include "trace/trace_writer.h"

namespace forkscope {

void LiveSink::appendEvents(std::span<const Event> events) {
    if (writer_ != nullptr) {
        writer_->appendEvents(events);
    }
    std::lock_guard guard(mutex_);
    for (const Event& e : events) {
        const ApplyEffect effect = model_.apply(e, ++seq_);
        metrics_.add(e, effect, model_.state());
    }
}

void LiveSink::recordProcess(const ProcessInfo& process) {
    if (writer_ != nullptr) {
        writer_->recordProcess(process);
    }
    std::lock_guard guard(mutex_);
    processes_[process.pid] = process;
}

void LiveSink::recordObject(const ObjectInfo& object) {
    if (writer_ != nullptr) {
        writer_->recordObject(object);
    }
    std::lock_guard guard(mutex_);
    objects_[object.id] = object;
}

void LiveSink::recordDrops(std::int32_t pid, std::uint64_t dropped) {
    if (writer_ != nullptr) {
        writer_->recordDrops(pid, dropped);
    }
    std::lock_guard guard(mutex_);
    drops_[pid] = dropped;
    std::uint64_t total = 0;
    for (const auto& [p, n] : drops_) {
        total += n;
    }
    metrics_.setDropped(total);
}

LiveSink::Snapshot LiveSink::snapshot() const {
    std::lock_guard guard(mutex_);
    return Snapshot{model_.state(), processes_, objects_, metrics_};
}

} // namespace forkscope
