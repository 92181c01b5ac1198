#pragma once

#include "process/unique_fd.h"
#include "tracker_message.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>

namespace forkscope {

/// The client side of the resource tracker (Python's multiprocessing.resource_tracker).
///
/// The tracker is a fresh, single-threaded image of this program (`--forkscope-resource-tracker`),
/// started on first registration. Processes send it REGISTER/UNREGISTER records over a Unix
/// SOCK_SEQPACKET socket; the tracker holds one end, every process of the program tree may hold
/// a copy of the other. When the last copy closes — every holder exited, normally or killed —
/// the tracker reads EOF, unlinks whatever is still registered, says so on stderr and exits.
///
/// It deliberately does NOT die with its parent: it must outlive a parent killed with SIGKILL.
///
/// How children reach it: a fork child inherits the channel at the same fd number. A spawn or
/// forkserver child receives it beside any SharedMemory start argument (an FdHandle in the
/// argument's serialisation) and adopts it if it has no live channel of its own; a fresh image
/// that never got one starts its own tracker on its first registration.
///
/// Only processes that create a resource register it; this process remembers what it
/// registered, so that if the tracker is found dead (killed) it starts a new one and registers
/// everything again.
class ResourceTracker {
public:
    using ResourceType = TrackerMessage::ResourceType;

    static ResourceTracker& instance();

    void registerResource(const std::string& name, ResourceType type);
    void unregisterResource(const std::string& name, ResourceType type);

    /// Starts the tracker if this process has no live channel.
    void ensureRunning();
    /// The tracker's pid if this process started it (0 otherwise, or if none runs).
    [[nodiscard]] pid_t pid();
    /// The channel (or -1): what a start argument passes to children; tests write garbage on it.
    [[nodiscard]] int fd();
    /// Adopts a channel received from the parent (dup'ed, close-on-exec) unless this process
    /// already has a live one. Returns whether it was adopted.
    bool adopt(int channel);

    /// Closes this process's end. If this process started the tracker it waits (bounded) for
    /// it to exit — it does once no other process holds the channel — and reaps it; the result
    /// is its exit code then, std::nullopt if it is still running (other holders remain) or
    /// was not ours. Everything this process had registered is forgotten: the tracker cleans
    /// it up at its EOF. A tracker found dead with something still registered is restarted
    /// first, so that it is cleaned up all the same. Python's ResourceTracker._stop().
    std::optional<int> stop(double timeoutSeconds = 5.0);

private:
    ResourceTracker() = default;
    using Key = std::pair<ResourceType, std::string>;

    void refreshAfterForkLocked();
    [[nodiscard]] bool knownDeadLocked() const;
    [[nodiscard]] bool peerGoneLocked() const;
    void deliverLocked(const TrackerMessage& message);
    /// Sends one record; false if the tracker is gone (EPIPE/ECONNRESET).
    bool sendLocked(const TrackerMessage& message);
    void startLocked();
    void restartLocked();
    void dropConnectionLocked();

    std::mutex mutex_;
    UniqueFd channel_;
    UniqueFd trackerPidfd_; ///< only when this process started the tracker
    pid_t trackerPid_ = 0;
    pid_t ownerPid_ = 0; ///< the process that started (and must reap) the tracker
    pid_t statePid_ = 0; ///< the process this state belongs to (a fork child resets it)
    pid_t hookPid_ = 0;  ///< the process whose exit hook is installed
    std::map<Key, int> owned_;
};

/// What the tracker sends once, when it is ready: the only byte that ever travels back.
inline constexpr char kReadyByte = 'R';

/// The tracker's main loop; runs in the image started with --forkscope-resource-tracker.
[[noreturn]] void runResourceTracker(int argc, char** argv);

} // namespace forkscope
