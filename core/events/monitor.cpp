#include "monitor.h"

#include "emit.h"
#include "process/errors.h"
#include "process/fd_io.h"
#include "process/proc_stat.h"
#include "registration_message.h"
#include "trace_clock.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forkscope {

Monitor::Monitor(EventSink& sink, MonitorOptions options) : sink_(sink), options_(options) {
    if (Tracer::enabled()) {
        throw ProcessError("tracing is already on in this process: only one Monitor per session host");
    }
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        throw OsError("socketpair for the tracing channel", errno);
    }
    channelReceive_.reset(ends[0]);
    channelSend_.reset(ends[1]);
    // A larger receive buffer absorbs a burst of registrations (a pool starting many workers).
    const int bufferSize = 1 << 20;
    ::setsockopt(channelReceive_.get(), SOL_SOCKET, SO_RCVBUF, &bufferSize, sizeof bufferSize);
    wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_) {
        throw OsError("eventfd for the monitor", errno);
    }
    hostPid_ = static_cast<std::int32_t>(::getpid());
    trace::TraceClock::ensureCalibrated(); // before the first timestamp of the session
    auto ring =
        std::make_unique<EventRing>(EventRing::create(options_.shape.lanes, options_.shape.laneCapacity));
    ring->closeFd();
    hostRing_ = ring.get();
    ProcessInfo host;
    host.pid = hostPid_;
    host.name = "MainProcess";
    host.firstSeenNs = trace::monotonicNs();
    sink_.recordProcess(host);
    Tracer::installHost(std::move(ring), channelSend_.get(), options_.shape);
    thread_ = std::thread([this] { run(); });
}

Monitor::~Monitor() {
    stop();
}

void Monitor::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) {
            return;
        }
        stopped_ = true;
    }
    // Tracing off first, so the last drain sees everything this process emitted.
    Tracer::uninstall();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
    if (thread_.joinable()) {
        thread_.join();
    }
    watched_.clear();
}

bool Monitor::flush(double timeoutSeconds) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
        return true; // the final drain covers it
    }
    const std::uint64_t mine = ++flushRequested_;
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
    return done_.wait_for(lock, std::chrono::duration<double>(timeoutSeconds),
                          [&] { return flushCompleted_ >= mine || stopping_; });
}

MonitorStats Monitor::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::string Monitor::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void Monitor::run() {
    std::vector<Event> batch;
    batch.reserve(std::size_t{1} << 14);
    for (;;) {
        pollfd fds[2] = {{channelReceive_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        ::poll(fds, 2, static_cast<int>(options_.interval.count()));
        std::uint64_t counter = 0;
        [[maybe_unused]] ssize_t ignored = ::read(wake_.get(), &counter, sizeof counter);
        std::uint64_t serving = 0;
        bool last = false;
        {
            std::lock_guard lock(mutex_);
            serving = flushRequested_;
            last = stopping_;
        }
        cycle(batch);
        {
            std::lock_guard lock(mutex_);
            flushCompleted_ = serving;
        }
        done_.notify_all();
        if (last) {
            return;
        }
    }
}

Monitor::Watched& Monitor::watch(std::int32_t pid) {
    Watched& w = watched_[pid];
    w.pid = pid;
    return w;
}

void Monitor::receiveRegistrations() {
    for (;;) {
        RegistrationMessage message;
        iovec iov{&message, sizeof message};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(channelReceive_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; // EAGAIN: nothing more for now
        }
        std::vector<UniqueFd> fds;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (std::size_t i = 0; i < count; ++i) {
                    int fd = -1;
                    std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                    fds.emplace_back(fd);
                }
            }
        }
        // Everything from the channel is checked before use: a traced process is not trusted
        // to keep the monitor alive.
        if (n != static_cast<ssize_t>(sizeof message) || message.magic != RegistrationMessage::kMagic) {
            continue;
        }
        message.name[sizeof message.name - 1] = '\0';
        if (message.kind == RegistrationMessage::Ring && fds.size() == 1 && message.pid > 0) {
            try {
                auto ring = std::make_unique<EventRing>(EventRing::attach(fds.front().get()));
                ring->closeFd();
                Watched& w = watch(message.pid);
                w.ring = std::move(ring);
                ProcessInfo info;
                info.pid = message.pid;
                info.parentPid = message.parentPid;
                info.name = std::string(message.nameView());
                info.startMethod = message.startMethod;
                info.firstSeenNs = message.ts;
                sink_.recordProcess(info);
            } catch (const ProcessError&) { // NOLINT(bugprone-empty-catch): a damaged ring is ignored
            } catch (const OsError&) {      // NOLINT(bugprone-empty-catch)
            }
        } else if (message.kind == RegistrationMessage::Object) {
            ObjectInfo info;
            info.id = message.id;
            info.kind = static_cast<ObjectKind>(message.objectKind);
            info.name = std::string(message.nameView());
            info.capacity = message.capacity;
            info.creatorPid = message.pid;
            info.createdNs = message.ts;
            sink_.recordObject(info);
        }
    }
}

void Monitor::scanProcesses(std::vector<Event>& batch) {
    const std::int64_t now = trace::monotonicNs();
    if (now - lastProcScan_ < std::chrono::nanoseconds(options_.procInterval).count()) {
        return;
    }
    lastProcScan_ = now;
    for (auto it = watched_.begin(); it != watched_.end();) {
        Watched& w = it->second;
        const auto stat = ProcStat::read(w.pid);
        const char state = stat ? stat->state : 0;
        if (state == 'Z' && !w.zombieReported && !w.reaped) {
            Event e;
            e.ts = trace::monotonicNs();
            e.type = EventType::ProcessZombie;
            e.object = static_cast<std::uint64_t>(w.pid);
            e.pid = hostPid_;
            e.tid = static_cast<std::int32_t>(::gettid());
            batch.push_back(e);
            w.zombieReported = true;
        }
        // A ring is unmapped once its process is gone for good (reaped) and it is empty.
        const bool gone = state == 0;
        if (gone && (!w.ring || w.ring->empty())) {
            if (w.ring) {
                sink_.recordDrops(w.pid, w.ring->dropped());
            }
            it = watched_.erase(it);
        } else {
            ++it;
        }
    }
}

void Monitor::cycle(std::vector<Event>& batch) {
    batch.clear();
    std::uint64_t droppedTotal = 0;
    try {
        receiveRegistrations();
        hostRing_->drain(batch);
        for (auto& [pid, w] : watched_) {
            if (w.ring) {
                w.ring->drain(batch);
            }
        }
        // Children announced by events (ProcessCreated from any process) are watched too, so
        // their zombie phase is seen even if they have no ring.
        for (const Event& e : batch) {
            if (e.type == EventType::ProcessCreated && e.object > 0 && e.object < kFirstObjectId) {
                watch(static_cast<std::int32_t>(e.object));
            } else if (e.type == EventType::ProcessReaped) {
                auto it = watched_.find(static_cast<std::int32_t>(e.object));
                if (it != watched_.end()) {
                    it->second.reaped = true;
                }
            }
        }
        scanProcesses(batch);
        // One timestamp order across rings. An event that reaches us after a later one was
        // already written (it was pushed just after its ring was drained) is placed at the
        // last written time: the file's events are ordered by (seq) and their times never go back.
        std::stable_sort(batch.begin(), batch.end(),
                         [](const Event& a, const Event& b) { return a.ts < b.ts; });
        for (Event& e : batch) {
            if (e.ts < lastTs_) {
                e.ts = lastTs_;
            }
            lastTs_ = e.ts;
        }
        if (!batch.empty()) {
            sink_.appendEvents(batch);
        }
        const std::uint64_t hostDropped = hostRing_->dropped();
        droppedTotal += hostDropped;
        for (auto& [pid, w] : watched_) {
            if (w.ring) {
                const std::uint64_t d = w.ring->dropped();
                droppedTotal += d;
                if (d != w.reportedDrops) {
                    sink_.recordDrops(pid, d);
                    w.reportedDrops = d;
                }
            }
        }
        if (hostDropped != hostReportedDrops_) {
            sink_.recordDrops(hostPid_, hostDropped);
            hostReportedDrops_ = hostDropped;
        }
    } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        if (error_.empty()) {
            error_ = e.what();
        }
    }
    std::lock_guard lock(mutex_);
    stats_.events += batch.size();
    stats_.dropped = droppedTotal;
    stats_.cycles += 1;
    stats_.rings = 1;
    for (const auto& [pid, w] : watched_) {
        stats_.rings += w.ring ? 1 : 0;
    }
}

} // namespace forkscope
