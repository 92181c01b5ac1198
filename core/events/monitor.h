#pragma once

#include "event_ring.h"
#include "event_sink.h"
#include "process/unique_fd.h"
#include "tracer.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace forkscope {

struct MonitorOptions {
    Tracer::Shape shape;                        ///< ring shape for the host and every child
    std::chrono::milliseconds interval{5};      ///< drain period
    std::chrono::milliseconds procInterval{20}; ///< /proc scan period for zombie detection
};

struct MonitorStats {
    std::uint64_t events = 0;  ///< events handed to the sink
    std::uint64_t dropped = 0; ///< events the rings reported lost
    std::uint64_t rings = 0;   ///< rings mapped right now
    std::uint64_t cycles = 0;
};

/// The observer in the session host: a thread that drains every process's ring into a sink
/// (the trace writer), in timestamp order, in batches.
///
/// Constructing it turns tracing on in this process (it must exist before the first child is
/// started, so every child gets a ring); destroying it (or stop()) drains one last time and
/// turns tracing off. Process states that no event can tell, a child that has ended but was not
/// reaped, come from /proc/<pid>/stat (state Z): the monitor never calls wait*() on anyone, so
/// observing a run cannot change what the run does (a zombie stays a zombie until its parent
/// joins it, exactly as without observation).
class Monitor {
public:
    explicit Monitor(EventSink& sink, MonitorOptions options = {});
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;
    ~Monitor();

    /// Final drain, then tracing off. Idempotent.
    void stop();
    /// Returns once a full drain cycle that started after this call has reached the sink, so
    /// every event emitted (and every ring announced) before the call is in it. False on timeout.
    bool flush(double timeoutSeconds = 5.0);
    [[nodiscard]] MonitorStats stats() const;
    /// The sink's failure that stopped recording (e.g. disk full), or empty.
    [[nodiscard]] std::string error() const;

private:
    struct Watched {
        std::unique_ptr<EventRing> ring; ///< null for a pid known only from events
        std::int32_t pid = 0;
        std::uint64_t reportedDrops = 0;
        bool zombieReported = false;
        bool reaped = false;
    };

    void run();
    void cycle(std::vector<Event>& batch);
    void receiveRegistrations();
    void scanProcesses(std::vector<Event>& batch);
    Watched& watch(std::int32_t pid);

    EventSink& sink_;
    MonitorOptions options_;
    UniqueFd channelReceive_;
    UniqueFd channelSend_;
    UniqueFd wake_; ///< eventfd: flush() and stop() interrupt the drain wait
    std::int32_t hostPid_ = 0;
    EventRing* hostRing_ = nullptr; ///< owned by the Tracer once installed

    std::map<std::int32_t, Watched> watched_; ///< monitor thread only
    std::int64_t lastTs_ = 0;
    std::int64_t lastProcScan_ = 0;
    std::uint64_t hostReportedDrops_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable done_;
    std::uint64_t flushRequested_ = 0;
    std::uint64_t flushCompleted_ = 0;
    bool stopping_ = false;
    bool stopped_ = false;
    MonitorStats stats_;
    std::string error_;
    std::thread thread_;
};

} // namespace forkscope
