#include "call_context.h"

#include "managed_object.h"

#include <poll.h>

namespace forkscope {

bool CallContext::clientGone() const {
    if (clientFd_ < 0) {
        return false;
    }
    // A client never sends while its call is in flight, so POLLRDHUP/POLLHUP can only mean
    // that it closed the connection.
    pollfd pfd{clientFd_, POLLRDHUP, 0};
    return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

CallContext::Deadline CallContext::deadlineFrom(const nlohmann::json& timeout) {
    if (timeout.is_null()) {
        return std::nullopt;
    }
    if (!timeout.is_number()) {
        throw ManagedError("TypeError", "timeout must be a number of seconds or null, not " + timeout.dump());
    }
    double seconds = timeout.get<double>();
    if (seconds < 0 || seconds != seconds) {
        seconds = 0;
    }
    seconds = std::min(seconds, 1e9);
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

} // namespace forkscope
