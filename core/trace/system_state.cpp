#include "system_state.h"

#include "trace_format_error.h"

#include <cstring>
#include <string>
#include <type_traits>

namespace forkscope {

const char* processPhaseName(ProcessPhase phase) noexcept {
    switch (phase) {
    case ProcessPhase::Created:
        return "created";
    case ProcessPhase::Running:
        return "running";
    case ProcessPhase::Blocked:
        return "blocked";
    case ProcessPhase::Zombie:
        return "zombie";
    case ProcessPhase::Reaped:
        return "reaped";
    }
    return "unknown";
}

int SystemState::zombieCount() const noexcept {
    int n = 0;
    for (const auto& [pid, p] : processes) {
        n += p.phase == ProcessPhase::Zombie ? 1 : 0;
    }
    return n;
}

namespace {

constexpr std::uint32_t kStateMagic = 0x31465346; // "FSF1"

class Writer {
public:
    template <class T> void put(T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
        bytes_.insert(bytes_.end(), p, p + sizeof value);
    }
    void waiters(const std::vector<Waiter>& list) {
        put(static_cast<std::uint32_t>(list.size()));
        for (const Waiter& w : list) {
            put(w.pid);
            put(w.tid);
            put(w.since);
        }
    }
    std::vector<std::uint8_t> take() { return std::move(bytes_); }

private:
    std::vector<std::uint8_t> bytes_;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    template <class T> T get() {
        T value{};
        if (bytes_.size() - pos_ < sizeof value) {
            throw TraceFormatError("keyframe is damaged: it ends early");
        }
        std::memcpy(&value, bytes_.data() + pos_, sizeof value);
        pos_ += sizeof value;
        return value;
    }
    /// A count of records of at least `minSize` bytes each, checked against what is left so a
    /// damaged count cannot make us allocate more than the blob could hold.
    std::uint32_t count(std::size_t minSize) {
        const auto n = get<std::uint32_t>();
        if (static_cast<std::uint64_t>(n) * minSize > bytes_.size() - pos_) {
            throw TraceFormatError("keyframe is damaged: a count of " + std::to_string(n) +
                                   " exceeds its size");
        }
        return n;
    }
    std::vector<Waiter> waiters() {
        std::vector<Waiter> list(count(16));
        for (Waiter& w : list) {
            w.pid = get<std::int32_t>();
            w.tid = get<std::int32_t>();
            w.since = get<std::int64_t>();
        }
        return list;
    }
    [[nodiscard]] bool atEnd() const noexcept { return pos_ == bytes_.size(); }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

} // namespace

std::vector<std::uint8_t> SystemState::encode() const {
    Writer w;
    w.put(kStateMagic);
    w.put(ts);
    w.put(seq);
    w.put(droppedMarked);
    w.put(static_cast<std::uint32_t>(processes.size()));
    for (const auto& [pid, p] : processes) {
        w.put(p.pid);
        w.put(p.parentPid);
        w.put(static_cast<std::uint8_t>(p.phase));
        w.put(static_cast<std::uint8_t>(p.exitKnown));
        w.put(static_cast<std::uint16_t>(p.blockedBy));
        w.put(p.blockedOn);
        w.put(p.since);
        w.put(p.exitCode);
    }
    w.put(static_cast<std::uint32_t>(locks.size()));
    for (const auto& [id, l] : locks) {
        w.put(id);
        w.put(l.ownerPid);
        w.put(l.ownerTid);
        w.put(l.depth);
        w.put(l.acquiredAt);
        w.put(l.acquisitions);
        w.put(l.contended);
        w.waiters(l.waiters);
    }
    w.put(static_cast<std::uint32_t>(queues.size()));
    for (const auto& [id, q] : queues) {
        w.put(id);
        w.put(q.depth);
        w.put(q.pipeBytes);
        w.put(static_cast<std::uint8_t>(q.feederBlocked));
    }
    w.put(static_cast<std::uint32_t>(pipes.size()));
    for (const auto& [id, p] : pipes) {
        w.put(id);
        w.put(p.bytes);
    }
    w.put(static_cast<std::uint32_t>(semaphores.size()));
    for (const auto& [id, s] : semaphores) {
        w.put(id);
        w.put(s.value);
        w.waiters(s.waiters);
    }
    return w.take();
}

SystemState SystemState::decode(std::span<const std::uint8_t> bytes) {
    Reader r(bytes);
    if (r.get<std::uint32_t>() != kStateMagic) {
        throw TraceFormatError("keyframe is damaged: bad magic");
    }
    SystemState s;
    s.ts = r.get<std::int64_t>();
    s.seq = r.get<std::uint64_t>();
    s.droppedMarked = r.get<std::uint64_t>();
    for (std::uint32_t i = 0, n = r.count(36); i < n; ++i) {
        ProcessState p;
        p.pid = r.get<std::int32_t>();
        p.parentPid = r.get<std::int32_t>();
        const auto phase = r.get<std::uint8_t>();
        if (phase > static_cast<std::uint8_t>(ProcessPhase::Reaped)) {
            throw TraceFormatError("keyframe is damaged: unknown process phase " + std::to_string(phase));
        }
        p.phase = static_cast<ProcessPhase>(phase);
        p.exitKnown = r.get<std::uint8_t>() != 0;
        p.blockedBy = static_cast<EventType>(r.get<std::uint16_t>());
        p.blockedOn = r.get<std::uint64_t>();
        p.since = r.get<std::int64_t>();
        p.exitCode = r.get<std::int64_t>();
        s.processes[p.pid] = p;
    }
    for (std::uint32_t i = 0, n = r.count(48); i < n; ++i) {
        const auto id = r.get<std::uint64_t>();
        LockState l;
        l.ownerPid = r.get<std::int32_t>();
        l.ownerTid = r.get<std::int32_t>();
        l.depth = r.get<std::uint32_t>();
        l.acquiredAt = r.get<std::int64_t>();
        l.acquisitions = r.get<std::uint64_t>();
        l.contended = r.get<std::uint64_t>();
        l.waiters = r.waiters();
        s.locks[id] = std::move(l);
    }
    for (std::uint32_t i = 0, n = r.count(25); i < n; ++i) {
        const auto id = r.get<std::uint64_t>();
        QueueState q;
        q.depth = r.get<std::int64_t>();
        q.pipeBytes = r.get<std::int64_t>();
        q.feederBlocked = r.get<std::uint8_t>() != 0;
        s.queues[id] = q;
    }
    for (std::uint32_t i = 0, n = r.count(16); i < n; ++i) {
        const auto id = r.get<std::uint64_t>();
        s.pipes[id].bytes = r.get<std::int64_t>();
    }
    for (std::uint32_t i = 0, n = r.count(20); i < n; ++i) {
        const auto id = r.get<std::uint64_t>();
        SemaphoreState sem;
        sem.value = r.get<std::int64_t>();
        sem.waiters = r.waiters();
        s.semaphores[id] = std::move(sem);
    }
    if (!r.atEnd()) {
        throw TraceFormatError("keyframe is damaged: trailing bytes");
    }
    return s;
}

} // namespace forkscope
