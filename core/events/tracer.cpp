#include "tracer.h"

#include "emit.h"
#include "registration_message.h"
#include "trace_clock.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace forkscope {

namespace trace::detail {
std::atomic<EventRing*> g_ring{nullptr};
} // namespace trace::detail

namespace {

std::atomic<int> g_channel{-1};
std::atomic<std::uint64_t> g_generation{1};
std::atomic<std::int32_t> g_pid{0};
std::atomic<std::uint32_t> g_objectCounter{0};
Tracer::Shape g_shape;
std::once_flag g_atforkOnce;
std::mutex g_retiredMutex;
/// Rings that were this process's ring once. Another thread may still be inside an emit that
/// loaded the pointer before uninstall(), so neither the object nor its mapping ever goes away.
std::vector<EventRing*>* g_retired = new std::vector<EventRing*>;

/// Which lane of which ring the calling thread writes into. Rebound when the process's ring
/// changes (install, uninstall, a fork). Trivially destructible, so that the emit path reads it
/// without the thread_local initialisation check; LaneReleaser gives the lane back at thread exit.
struct ThreadBinding {
    EventRing* ring = nullptr;
    std::uint64_t generation = 0;
    std::int32_t pid = 0;
    std::int32_t tid = 0;
    int lane = -1;
};
thread_local ThreadBinding t_binding;

/// Armed on a thread's first lane claim; its destructor returns the lane to the ring.
struct LaneReleaser {
    bool armed = false;
    void arm() noexcept { armed = true; }
    ~LaneReleaser() {
        const ThreadBinding& b = t_binding;
        if (armed && b.ring != nullptr && b.lane >= 0 && b.pid == g_pid.load(std::memory_order_relaxed) &&
            b.generation == g_generation.load(std::memory_order_relaxed)) {
            b.ring->releaseLane(b.lane, b.tid);
        }
    }
};
thread_local LaneReleaser t_releaser;

void afterForkInChild() noexcept {
    // Whatever the parent was writing into is the parent's: never touch it from here.
    trace::detail::g_ring.store(nullptr, std::memory_order_release);
    g_generation.fetch_add(1, std::memory_order_relaxed);
    g_pid.store(0, std::memory_order_relaxed);
}

void installAtfork() {
    std::call_once(g_atforkOnce, [] { ::pthread_atfork(nullptr, nullptr, &afterForkInChild); });
}

void makeCurrent(EventRing* ring) noexcept {
    g_pid.store(static_cast<std::int32_t>(::getpid()), std::memory_order_relaxed);
    g_generation.fetch_add(1, std::memory_order_relaxed);
    if (ring != nullptr) {
        ring->setOwnerPid(g_pid.load(std::memory_order_relaxed));
    }
    trace::detail::g_ring.store(ring, std::memory_order_release);
}

} // namespace

namespace trace {

std::int64_t monotonicNs() noexcept {
    return TraceClock::now();
}

namespace detail {
bool& registrationSuppressed() noexcept {
    thread_local bool suppressed = false;
    return suppressed;
}

namespace {
/// An emit the fast path below does not take: the thread's first event in this ring (or its
/// first since a fork or a new ring), a thread still without a lane, a session stamped with
/// clock_gettime. Out of line, so that the fast path calls nothing and saves no registers.
[[gnu::noinline]] void emitSlow(EventRing* ring, EventType type, std::uint64_t object, std::uint64_t arg,
                                std::uint32_t aux) noexcept {
    ThreadBinding& b = t_binding;
    const std::uint64_t generation = g_generation.load(std::memory_order_relaxed);
    const std::int32_t pid = g_pid.load(std::memory_order_relaxed);
    if (b.ring != ring || b.generation != generation || b.pid != pid) {
        // First event of this thread in this ring: one gettid() and one lane claim, then never again.
        if (b.ring != nullptr && b.lane >= 0 && b.pid == pid) {
            b.ring->releaseLane(b.lane, b.tid);
        }
        b.ring = ring;
        b.generation = generation;
        b.pid = pid;
        b.tid = static_cast<std::int32_t>(::gettid());
        b.lane = ring->claimLane(b.tid);
        t_releaser.arm();
    }
    if (b.lane < 0) {
        // All lanes were taken when this thread started; one may have been given back since.
        b.lane = ring->claimLane(b.tid);
        if (b.lane < 0) {
            ring->dropWithoutLane();
            return;
        }
    }
    ring->push(b.lane, Event{TraceClock::stamp(), object, arg, pid, b.tid, type, 0, aux});
}
} // namespace

void emitInto(EventRing* ring, EventType type, std::uint64_t object, std::uint64_t arg,
              std::uint32_t aux) noexcept {
    if (object == 0) {
        return; // an untraced building block (trace::kUntraced)
    }
    const ThreadBinding& b = t_binding;
    const std::int32_t pid = g_pid.load(std::memory_order_relaxed);
    if (__builtin_expect(b.ring != ring || b.generation != g_generation.load(std::memory_order_relaxed) ||
                             b.pid != pid || b.lane < 0 || !TraceClock::stampsTicks(),
                         0)) {
        emitSlow(ring, type, object, arg, aux);
        return;
    }
    // The raw TSC (stampsTicks() was checked above): EventRing::drain converts it with the
    // ring's clock map, the same as this process's.
    ring->push(b.lane,
               Event{static_cast<std::int64_t>(TraceClock::ticks()), object, arg, pid, b.tid, type, 0, aux});
}
} // namespace detail

std::uint64_t registerObject(ObjectKind kind, std::string_view name, std::uint64_t capacity) {
    const auto pid = static_cast<std::uint64_t>(::getpid());
    const std::uint64_t n = g_objectCounter.fetch_add(1, std::memory_order_relaxed) + 1;
    const std::uint64_t id = ((pid << 32) | n) + kFirstObjectId;
    if (Tracer::enabled()) {
        RegistrationMessage message;
        message.kind = RegistrationMessage::Object;
        message.objectKind = static_cast<std::uint16_t>(kind);
        message.pid = static_cast<std::int32_t>(pid);
        message.id = id;
        message.capacity = capacity;
        message.ts = monotonicNs();
        message.setName(name);
        Tracer::sendRegistration(&message, sizeof message, -1);
        emit(EventType::ObjectCreated, id, static_cast<std::uint64_t>(kind));
    }
    return id;
}

} // namespace trace

void Tracer::installHost(std::unique_ptr<EventRing> ring, int channelFd, Shape shape) {
    installAtfork();
    trace::TraceClock::ensureCalibrated();
    ring->setClock(trace::TraceClock::current());
    g_shape = shape;
    g_channel.store(channelFd, std::memory_order_relaxed);
    makeCurrent(ring.release()); // owned by the process from now on; see uninstall()
}

void Tracer::uninstall() noexcept {
    EventRing* ring = trace::detail::g_ring.exchange(nullptr, std::memory_order_acq_rel);
    g_generation.fetch_add(1, std::memory_order_relaxed);
    g_channel.store(-1, std::memory_order_relaxed);
    if (ring != nullptr) {
        ring->closeFd();
        try {
            std::lock_guard lock(g_retiredMutex);
            g_retired->push_back(ring);
        } catch (...) { // NOLINT(bugprone-empty-catch): out of memory: the ring simply stays unreferenced
        }
    }
}

bool Tracer::enabled() noexcept {
    return trace::enabled();
}

int Tracer::channelFd() noexcept {
    return g_channel.load(std::memory_order_relaxed);
}

std::unique_ptr<EventRing> Tracer::prepareChild() {
    if (!enabled()) {
        return nullptr;
    }
    try {
        auto ring = std::make_unique<EventRing>(EventRing::create(g_shape.lanes, g_shape.laneCapacity));
        ring->setClock(trace::TraceClock::current()); // the child stamps on the session's time line
        return ring;
    } catch (const std::exception&) {
        // Out of memory or fds: the child runs unobserved rather than not at all. Its events
        // are missing; the parent's Created/Reaped events still show it.
        return nullptr;
    }
}

void Tracer::adoptInForkChild(std::unique_ptr<EventRing> ring) noexcept {
    if (!ring) {
        return;
    }
    ring->closeFd();
    trace::TraceClock::adopt(ring->clock());
    makeCurrent(ring.release());
}

void Tracer::attachInBootstrapChild(int ringFd, int channelFd) noexcept {
    try {
        installAtfork();
        auto ring = std::make_unique<EventRing>(EventRing::attach(ringFd));
        ring->closeFd();
        ::close(ringFd);
        g_shape = Shape{ring->laneCount(), ring->laneCapacity()};
        trace::TraceClock::adopt(ring->clock());
        g_channel.store(channelFd, std::memory_order_relaxed);
        makeCurrent(ring.release());
    } catch (...) { // NOLINT(bugprone-empty-catch): observation must never break the run
    }
}

void Tracer::announceChild(std::unique_ptr<EventRing> ring, pid_t pid, const std::string& name,
                           int startMethod) noexcept {
    if (!ring) {
        return;
    }
    RegistrationMessage message;
    message.kind = RegistrationMessage::Ring;
    message.pid = pid;
    message.parentPid = static_cast<std::int32_t>(::getpid());
    message.startMethod = startMethod;
    message.ts = trace::monotonicNs();
    message.setName(name);
    sendRegistration(&message, sizeof message, ring->fd());
    trace::emit(EventType::ProcessCreated, static_cast<std::uint64_t>(pid),
                static_cast<std::uint64_t>(startMethod));
    // ring goes out of scope: the parent's mapping and fd close; the child and the monitor
    // hold their own.
}

bool Tracer::sendRegistration(const void* message, std::size_t size, int fd) noexcept {
    const int channel = channelFd();
    if (channel < 0) {
        return false;
    }
    iovec iov{const_cast<void*>(message), size};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    // Registration is not on a hot path, but it still must not hang a worker whose monitor is
    // gone or stuck: a full channel gets a bounded wait, then the registration is given up.
    for (int attempt = 0; attempt < 2; ++attempt) {
        ssize_t n = 0;
        do {
            n = ::sendmsg(channel, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n == static_cast<ssize_t>(size)) {
            return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{channel, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        return false;
    }
    return false;
}

} // namespace forkscope
