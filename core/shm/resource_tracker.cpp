#include "resource_tracker.h"

#include "process/entry_guard.h"
#include "process/errors.h"
#include "process/fd_io.h"
#include "process/helper_reaper.h"
#include "process/image_launcher.h"
#include "process/launchers.h"
#include "process/runtime.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkscope {

namespace {

constexpr const char* kTrackerFlag = "--forkscope-resource-tracker";
constexpr double kSendTimeout = 10.0;
constexpr double kReapTimeout = 5.0;
constexpr double kStartTimeout = 30.0;

// Registered wherever the tracker client is linked in, so every image that can register a
// resource can also become the tracker.
[[maybe_unused]] const bool g_roleRegistered = registerImageRole(kTrackerFlag, &runResourceTracker);

/// The tracker says it is serving with one byte on the channel (the only thing it ever sends,
/// before anyone else holds the other end). Without it — an image whose main() does not call
/// freezeSupport() first would run the whole program instead — it is killed and this says why.
void awaitReady(int channel, pid_t pid, int pidfd) {
    char ready = 0;
    ssize_t n = -1;
    if (fdio::waitFor(channel, POLLIN, kStartTimeout)) {
        do {
            n = ::recv(channel, &ready, sizeof ready, MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
    }
    if (n == 1 && ready == kReadyByte) {
        return;
    }
    fdio::pidfdSendSignal(pidfd, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw BootstrapError("the resource tracker (pid " + std::to_string(pid) +
                         ") did not start: a program that uses shared memory must call "
                         "forkscope::freezeSupport(argc, argv) first in main()");
}

} // namespace

ResourceTracker& ResourceTracker::instance() {
    static auto* tracker = new ResourceTracker; // never destroyed: used from the exit hooks
    return *tracker;
}

void ResourceTracker::refreshAfterForkLocked() {
    const pid_t me = ::getpid();
    if (statePid_ == me) {
        return;
    }
    if (statePid_ != 0) {
        // A fork child shares its parent's tracker (the channel is inherited) but owns none of
        // the parent's resources: were the tracker to be restarted from here, re-registering
        // them would make the new tracker unlink what the parent still uses.
        owned_.clear();
    }
    statePid_ = me;
}

bool ResourceTracker::knownDeadLocked() const {
    return trackerPidfd_ && fdio::waitFor(trackerPidfd_.get(), POLLIN, 0.0);
}

bool ResourceTracker::peerGoneLocked() const {
    // The tracker never writes after its "ready": a hang-up is the only thing to see here. This
    // is how a process that did not start the tracker (no pidfd) sees it died.
    pollfd probe{channel_.get(), POLLRDHUP, 0};
    return ::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

void ResourceTracker::startLocked() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        throw OsError("socketpair for the resource tracker", errno);
    }
    UniqueFd ours(pair[0]);
    UniqueFd theirs(pair[1]);
    // No dieWithParent: the tracker must outlive a parent killed with SIGKILL, to clean up
    // after it. It ends when the last holder of the other end is gone; only its own end (and
    // stdio) survives exec — above all not a copy of ours, which would hide that EOF.
    const pid_t pid = launchImage({"forkscope-resource-tracker",
                                   {kTrackerFlag, std::to_string(theirs.get())},
                                   {theirs.get()},
                                   0,
                                   "the resource tracker"});
    theirs.reset();

    UniqueFd pidfd = fdio::pidfdOpen(pid);
    awaitReady(ours.get(), pid, pidfd.get());

    const pid_t me = ::getpid();
    channel_ = std::move(ours);
    trackerPid_ = pid;
    trackerPidfd_ = std::move(pidfd);
    ownerPid_ = me;
    if (hookPid_ != me) {
        hookPid_ = me;
        atProcessExit([] { ResourceTracker::instance().stop(); });
    }
}

void ResourceTracker::dropConnectionLocked() {
    channel_.reset();
    if (trackerPidfd_ && ownerPid_ == ::getpid()) {
        // Ours to reap. It is dead or dying (its end is closed), so the wait is short.
        if (fdio::waitFor(trackerPidfd_.get(), POLLIN, kReapTimeout)) {
            (void)reapHelper(trackerPid_, HelperRole::ResourceTracker);
        }
    }
    trackerPidfd_.reset();
    trackerPid_ = 0;
    ownerPid_ = 0;
}

void ResourceTracker::restartLocked() {
    dropConnectionLocked();
    startLocked();
    for (const auto& [key, count] : owned_) {
        for (int i = 0; i < count; ++i) {
            if (!sendLocked(TrackerMessage(TrackerMessage::Command::Register, key.first, key.second))) {
                throw OsError("the resource tracker died right after it was started", EPIPE);
            }
        }
    }
}

bool ResourceTracker::sendLocked(const TrackerMessage& message) {
    const std::vector<std::uint8_t> record = message.encode();
    if (!fdio::waitFor(channel_.get(), POLLOUT, kSendTimeout)) {
        throw TimeoutError("the resource tracker did not accept a message within 10 s");
    }
    ssize_t n = 0;
    do {
        n = ::send(channel_.get(), record.data(), record.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(record.size())) {
        return true;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)) {
        return false;
    }
    throw OsError("sending '" + message.name() + "' to the resource tracker", n < 0 ? errno : EPROTO);
}

void ResourceTracker::deliverLocked(const TrackerMessage& message) {
    // A restart re-registers everything in owned_, which the caller has already updated for
    // this message: after a restart there is nothing left to send.
    if (!channel_ || knownDeadLocked()) {
        restartLocked();
        return;
    }
    if (!sendLocked(message)) {
        restartLocked();
    }
}

void ResourceTracker::registerResource(const std::string& name, ResourceType type) {
    TrackerMessage message(TrackerMessage::Command::Register, type, name);
    (void)message.encode(); // refuse a bad name before it is remembered
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    ++owned_[{type, name}];
    try {
        deliverLocked(message);
    } catch (...) {
        if (--owned_[{type, name}] == 0) {
            owned_.erase({type, name});
        }
        throw;
    }
}

void ResourceTracker::unregisterResource(const std::string& name, ResourceType type) {
    TrackerMessage message(TrackerMessage::Command::Unregister, type, name);
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    auto it = owned_.find({type, name});
    if (it != owned_.end() && --it->second == 0) {
        owned_.erase(it);
    }
    if (!channel_) {
        return; // no tracker was told about it (stopped since): nothing to take back
    }
    deliverLocked(message);
}

void ResourceTracker::ensureRunning() {
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    if (!channel_ || knownDeadLocked()) {
        restartLocked();
    }
}

pid_t ResourceTracker::pid() {
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    return ownerPid_ == ::getpid() ? trackerPid_ : 0;
}

int ResourceTracker::fd() {
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    return channel_.get();
}

bool ResourceTracker::adopt(int channel) {
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    if (channel_ && !knownDeadLocked()) {
        return false;
    }
    UniqueFd copy(::fcntl(channel, F_DUPFD_CLOEXEC, 3));
    if (!copy) {
        throw OsError("dup of the resource tracker channel received from the parent", errno);
    }
    dropConnectionLocked();
    channel_ = std::move(copy);
    for (const auto& [key, count] : owned_) {
        for (int i = 0; i < count; ++i) {
            if (!sendLocked(TrackerMessage(TrackerMessage::Command::Register, key.first, key.second))) {
                restartLocked();
                return false;
            }
        }
    }
    return true;
}

std::optional<int> ResourceTracker::stop(double timeoutSeconds) {
    std::lock_guard lock(mutex_);
    refreshAfterForkLocked();
    if (!owned_.empty() && channel_ && (knownDeadLocked() || peerGoneLocked())) {
        // Killed after our last registration, so nothing has noticed yet: without a new
        // tracker, what this process leaves behind would stay in /dev/shm with no word said.
        try {
            restartLocked();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "forkscope: could not restart the resource tracker at exit: %s\n", e.what());
        }
    }
    owned_.clear();
    channel_.reset();
    std::optional<int> result;
    if (trackerPidfd_ && ownerPid_ == ::getpid() &&
        fdio::waitFor(trackerPidfd_.get(), POLLIN, timeoutSeconds)) {
        result = reapHelper(trackerPid_, HelperRole::ResourceTracker);
    }
    trackerPidfd_.reset();
    trackerPid_ = 0;
    ownerPid_ = 0;
    return result;
}

} // namespace forkscope
