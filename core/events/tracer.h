#pragma once

#include "event_ring.h"

#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

namespace forkscope {

/// The tracing state of the current process: its ring and its end of the tracing channel.
///
/// How rings reach the monitor, for every start method: the *parent* creates the child's ring
/// in Process::start before launching (prepareChild). Under fork the child inherits the
/// mapping and adopts it at once (adoptInForkChild, before anything else runs); under spawn and
/// forkserver the memfd and the channel travel in the bootstrap's fd list like any other start
/// handle, and the child maps them (attachInBootstrapChild). After the launch the parent sends
/// the memfd with the child's pid and name to the monitor over the channel (announceChild) and
/// drops its own copy. The child may emit before the monitor has mapped the ring: the events
/// simply wait in shared memory. A raw fork() that bypasses Process turns tracing off in the
/// child (pthread_atfork), so two processes can never write one ring.
class Tracer {
public:
    struct Shape {
        std::uint32_t lanes = 4;
        std::uint32_t laneCapacity = 4096;
    };

    /// In the session host, by the Monitor: makes `ring` this process's ring.
    static void installHost(std::unique_ptr<EventRing> ring, int channelFd, Shape shape);
    /// Turns tracing off in this process. The ring's mapping is kept (leaked), because another
    /// thread may be in the middle of an emit into it.
    static void uninstall() noexcept;

    [[nodiscard]] static bool enabled() noexcept;
    [[nodiscard]] static int channelFd() noexcept;

    /// In the parent, before launching: a ring for the child, or nullptr with tracing off (or
    /// when no ring could be made: observation never prevents a start).
    [[nodiscard]] static std::unique_ptr<EventRing> prepareChild();
    /// In a fork child, first thing: the prepared ring becomes this process's ring.
    static void adoptInForkChild(std::unique_ptr<EventRing> ring) noexcept;
    /// In a spawn/forkserver child: maps the ring memfd that came with the bootstrap and keeps
    /// the channel. Failure leaves tracing off in the child (observation never breaks a run).
    static void attachInBootstrapChild(int ringFd, int channelFd) noexcept;
    /// In the parent, after the launch: tells the monitor about the child's ring, emits
    /// ProcessCreated, and releases the parent's copy.
    static void announceChild(std::unique_ptr<EventRing> ring, pid_t pid, const std::string& name,
                              int startMethod) noexcept;
    /// Sends one registration record (and optionally an fd) to the monitor; false if it could
    /// not be delivered within a short bound.
    static bool sendRegistration(const void* message, std::size_t size, int fd) noexcept;
};

} // namespace forkscope
