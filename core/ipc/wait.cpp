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

} // namespace

std::vector<Waitable> wait(const std::vector<Waitable>& objects, fdio::Timeout timeout) {
    std::vector<pollfd> fds;
    fds.reserve(objects.size());
    for (const Waitable& object : objects) {
        fds.push_back({descriptorOf(object), POLLIN, 0});
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
        const int rc = ::poll(fds.data(), fds.size(), ms);
        if (rc < 0) {
            if (errno == EINTR) {
                continue; // retried with the time that is left
            }
            throw OsError("poll in wait() over " + std::to_string(objects.size()) + " objects", errno);
        }
        std::vector<Waitable> ready;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            // POLLHUP/POLLERR count: an EOF is "ready" (recv then raises EofError), as in Python.
            if (fds[i].revents != 0) {
                ready.push_back(objects[i]);
            }
        }
        return ready;
    }
}

std::vector<Connection> wait(const std::vector<Connection>& connections, fdio::Timeout timeout) {
    std::vector<Waitable> objects(connections.begin(), connections.end());
    std::vector<Connection> ready;
    for (Waitable& object : wait(objects, timeout)) {
        ready.push_back(std::get<Connection>(std::move(object)));
    }
    return ready;
}

} // namespace forkscope
