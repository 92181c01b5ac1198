#include "wait.h"

#include "process/errors.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <poll.h>

namespace forkscope {

namespace {

using Clock = std::chrono::steady_clock;

int descriptorOf(const Waitable& object) {
    if (const auto* connection = std::get_if<Connection>(&object)) {
        if (connection->closed()) {
            throw ProcessError("wait() was given a closed connection");
        }
        return connection->fileno();
    }
    return std::get<Process>(object).sentinel(); // throws ProcessError for an unstarted process
}

/// One poll(2); -1 on EINTR (the caller retries), throws on any other failure.
int pollOnce(std::vector<pollfd>& fds, int ms) {
    const int rc = ::poll(fds.data(), fds.size(), ms);
    if (rc < 0 && errno != EINTR) {
        throw OsError("poll in wait() over " + std::to_string(fds.size()) + " objects", errno);
    }
    return rc;
}

} // namespace

std::vector<Waitable> wait(const std::vector<Waitable>& objects, fdio::Timeout timeout) {
    std::vector<pollfd> fds;
    fds.reserve(objects.size());
    for (const Waitable& object : objects) {
        fds.push_back({descriptorOf(object), POLLIN, 0});
    }
    auto collect = [&](const std::vector<bool>& ended) {
        std::vector<Waitable> ready;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            // POLLHUP/POLLERR count: an EOF is "ready" (recv then raises EofError), as in Python.
            if (fds[i].revents != 0 || ended[i]) {
                ready.push_back(objects[i]);
            }
        }
        return ready;
    };

    // First a look without waiting. A process whose sentinel is quiet may still have ended:
    // a forkserver child's sentinel is the status message, which join() consumes, and the
    // server closes the connection (EOF, readable again) only a moment later. Asking such a
    // process for its exit code is only a waitpid(WNOHANG) for a running child.
    std::vector<bool> ended(objects.size(), false);
    bool any = pollOnce(fds, 0) > 0;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        if (fds[i].revents == 0 && std::holds_alternative<Process>(objects[i])) {
            ended[i] = Process(std::get<Process>(objects[i])).exitCode().has_value();
            any = any || ended[i];
        }
    }
    if (any || (timeout && *timeout <= 0)) {
        return collect(ended);
    }

    std::optional<Clock::time_point> deadline;
    if (timeout) {
        deadline = Clock::now() +
                   std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout));
    }
    for (;;) {
        int ms = -1;
        if (deadline) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
            ms = left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX));
        }
        if (pollOnce(fds, ms) >= 0) {
            return collect(ended);
        }
        // EINTR: retried with the time that is left.
    }
}

} // namespace forkscope
