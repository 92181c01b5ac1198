// The resource tracker image: a fresh, single-threaded copy of the program that remembers which
// named resources are registered and unlinks the ones still registered when its channel reaches
// EOF, i.e. when every process of the program tree that held the channel is gone — including a
// parent killed with SIGKILL, which is the case no exit hook can cover.
#include "resource_tracker.h"
#include "shm_name.h"
#include "tracker_message.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <variant>
#include <vector>

namespace forkscope {

namespace {

constexpr int kMaxReportedRejections = 20;

class Tracker {
public:
    explicit Tracker(int channel) : channel_(channel) {}

    void serve() {
        std::array<std::uint8_t, 2 * TrackerMessage::kMaxSize> buffer{};
        for (;;) {
            ssize_t n = ::recv(channel_, buffer.data(), buffer.size(), MSG_TRUNC);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                std::fprintf(stderr, "forkscope resource_tracker: reading the channel failed: %s\n",
                             std::strerror(errno));
                return; // clean up what we know rather than leave it behind
            }
            if (n == 0) {
                if (peerGone()) {
                    return;
                }
                reject(0, "an empty record");
                continue;
            }
            const auto size = static_cast<std::size_t>(n);
            if (size > buffer.size()) {
                reject(size, "longer than any tracker message");
                continue;
            }
            auto decoded = TrackerMessage::decode(std::span(buffer.data(), size));
            if (auto* why = std::get_if<std::string>(&decoded)) {
                reject(size, *why);
                continue;
            }
            apply(std::get<TrackerMessage>(decoded));
        }
    }

    void cleanUp() {
        if (rejected_ > kMaxReportedRejections) {
            std::fprintf(stderr, "forkscope resource_tracker: %d malformed messages were ignored in all\n",
                         rejected_);
        }
        for (auto type :
             {TrackerMessage::ResourceType::SharedMemory, TrackerMessage::ResourceType::Semaphore}) {
            std::vector<std::string> leaked;
            for (const auto& [key, count] : registered_) {
                if (key.first == type) {
                    leaked.push_back(key.second);
                }
            }
            if (leaked.empty()) {
                continue;
            }
            std::string list;
            for (const auto& name : leaked) {
                list += (list.empty() ? "'" : ", '") + shmname::printable(name) + "'";
            }
            std::fprintf(
                stderr,
                "forkscope resource_tracker: There appear to be %zu leaked %s objects to clean up at "
                "shutdown: %s\n",
                leaked.size(), TrackerMessage::typeName(type), list.c_str());
            for (const auto& name : leaked) {
                int rc = type == TrackerMessage::ResourceType::SharedMemory ? ::shm_unlink(name.c_str())
                                                                            : ::sem_unlink(name.c_str());
                if (rc != 0) {
                    std::fprintf(stderr, "forkscope resource_tracker: could not unlink %s '%s': %s\n",
                                 TrackerMessage::typeName(type), shmname::printable(name).c_str(),
                                 std::strerror(errno));
                } else {
                    std::fprintf(stderr, "forkscope resource_tracker: removed %s '%s'\n",
                                 TrackerMessage::typeName(type), shmname::printable(name).c_str());
                }
            }
        }
        std::fflush(stderr);
    }

private:
    /// A zero-length record reads like EOF; only a hung-up peer makes it one.
    [[nodiscard]] bool peerGone() const {
        pollfd pfd{channel_, POLLIN | POLLRDHUP, 0};
        return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
    }

    void apply(const TrackerMessage& message) {
        const auto key = std::make_pair(message.type(), message.name());
        if (message.command() == TrackerMessage::Command::Register) {
            ++registered_[key];
            return;
        }
        auto it = registered_.find(key);
        if (it == registered_.end()) {
            reject(TrackerMessage::kHeaderSize + message.name().size(),
                   "UNREGISTER of " + std::string(TrackerMessage::typeName(message.type())) + " '" +
                       shmname::printable(message.name()) + "', which is not registered");
            return;
        }
        if (--it->second == 0) {
            registered_.erase(it);
        }
    }

    void reject(std::size_t size, const std::string& why) {
        if (++rejected_ <= kMaxReportedRejections) {
            std::fprintf(stderr, "forkscope resource_tracker: ignored a message (%zu bytes): %s\n", size,
                         why.c_str());
        }
    }

    int channel_;
    int rejected_ = 0;
    /// Counts, not a set: a name unlinked and created again by another process may be registered
    /// again before the first creator's UNREGISTER arrives, and must stay registered after it.
    std::map<std::pair<TrackerMessage::ResourceType, std::string>, int> registered_;
};

} // namespace

void runResourceTracker(int argc, char** argv) {
    char* end = nullptr;
    const long channel = argc == 3 ? std::strtol(argv[2], &end, 10) : -1;
    if (channel < 0 || channel > (1 << 20) || end == nullptr || *end != '\0') {
        std::fprintf(stderr, "forkscope resource_tracker: needs its channel fd as the only argument\n");
        ::_exit(2);
    }
    const int fd = static_cast<int>(channel);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    // As in Python: Ctrl-C or a SIGTERM aimed at the program must not take the tracker down
    // before the program is gone, or nothing would be left to clean up after it.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);

    const char ready = kReadyByte;
    if (::send(fd, &ready, 1, MSG_NOSIGNAL) != 1) {
        ::_exit(1); // the starter is already gone
    }
    Tracker tracker(fd);
    tracker.serve();
    tracker.cleanUp();
    ::close(fd);
    ::_exit(0);
}

} // namespace forkscope
