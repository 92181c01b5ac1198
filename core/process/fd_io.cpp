#include "fd_io.h"

#include "errors.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace forkscope::fdio {

namespace {
using Clock = std::chrono::steady_clock;

int remainingMs(std::optional<Clock::time_point> deadline) {
    if (!deadline) {
        return -1;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

std::optional<Clock::time_point> deadlineFor(Timeout timeout) {
    if (!timeout) {
        return std::nullopt;
    }
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout));
}

bool isSocket(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}
} // namespace

bool waitFor(int fd, short events, Timeout timeout) {
    auto deadline = deadlineFor(timeout);
    pollfd pfd{fd, events, 0};
    for (;;) {
        int rc = ::poll(&pfd, 1, remainingMs(deadline));
        if (rc > 0) {
            return true;
        }
        if (rc == 0) {
            return false;
        }
        if (errno != EINTR) {
            throw OsError("poll", errno);
        }
    }
}

void writeAll(int fd, const void* data, std::size_t size, Timeout timeout, const char* what) {
    auto deadline = deadlineFor(timeout);
    const bool socket = isSocket(fd);
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = socket ? ::send(fd, bytes, size, MSG_NOSIGNAL | MSG_DONTWAIT) : ::write(fd, bytes, size);
        if (n > 0) {
            bytes += n;
            size -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd pfd{fd, POLLOUT, 0};
            int rc = ::poll(&pfd, 1, remainingMs(deadline));
            if (rc == 0) {
                throw TimeoutError(std::string("timed out writing ") + what);
            }
            continue;
        }
        throw OsError(std::string("writing ") + what, errno);
    }
}

bool readExact(int fd, void* data, std::size_t size, Timeout timeout, const char* what) {
    auto deadline = deadlineFor(timeout);
    auto* bytes = static_cast<char*>(data);
    std::size_t done = 0;
    // With a timeout, poll before reading. Without one, a blocking read waits by itself: a
    // poll first would double the system calls; it is needed only if the fd is non-blocking.
    bool pollFirst = deadline.has_value();
    while (done < size) {
        if (pollFirst) {
            pollfd pfd{fd, POLLIN, 0};
            int rc = ::poll(&pfd, 1, remainingMs(deadline));
            if (rc == 0) {
                throw TimeoutError(std::string("timed out reading ") + what);
            }
            if (rc < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw OsError(std::string("poll while reading ") + what, errno);
            }
        }
        ssize_t n = ::read(fd, bytes + done, size - done);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) {
            if (done == 0) {
                return false;
            }
            throw OsError(std::string("reading ") + what + " (peer closed mid-message)", EPIPE);
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pollFirst = true;
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        throw OsError(std::string("reading ") + what, errno);
    }
    return true;
}

void writeFrame(int fd, std::span<const std::uint8_t> payload, Timeout timeout, const char* what) {
    auto size = static_cast<std::uint32_t>(payload.size());
    writeAll(fd, &size, sizeof size, timeout, what);
    writeAll(fd, payload.data(), payload.size(), timeout, what);
}

std::optional<std::vector<std::uint8_t>> readFrame(int fd, std::size_t maxSize, Timeout timeout,
                                                   const char* what) {
    std::uint32_t size = 0;
    if (!readExact(fd, &size, sizeof size, timeout, what)) {
        return std::nullopt;
    }
    if (size > maxSize) {
        throw OsError(std::string(what) + ": frame of " + std::to_string(size) +
                          " bytes exceeds the limit of " + std::to_string(maxSize),
                      EMSGSIZE);
    }
    std::vector<std::uint8_t> payload(size);
    if (size > 0 && !readExact(fd, payload.data(), size, timeout, what)) {
        throw OsError(std::string("reading ") + what + " (peer closed mid-message)", EPIPE);
    }
    return payload;
}

void sendWithFds(int socket, std::span<const std::uint8_t> payload, std::span<const int> fds,
                 const char* what) {
    iovec iov{const_cast<std::uint8_t*>(payload.data()), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(payload.size())) {
            return;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n >= 0) { // the fds went with the first byte; the rest is plain data
            writeAll(socket, payload.data() + n, payload.size() - static_cast<std::size_t>(n), 5.0, what);
            return;
        }
        throw OsError(std::string("sending ") + what, errno);
    }
}

std::size_t recvWithFds(int socket, std::span<std::uint8_t> payload, std::vector<UniqueFd>& fds,
                        std::size_t maxFds, Timeout timeout, const char* what) {
    if (!waitFor(socket, POLLIN, timeout)) {
        throw TimeoutError(std::string("timed out receiving ") + what);
    }
    iovec iov{payload.data(), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control(CMSG_SPACE(sizeof(int) * (maxFds == 0 ? 1 : maxFds)));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n = 0;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        throw OsError(std::string("receiving ") + what, errno);
    }
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
            std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int fd = -1;
                std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
                fds.emplace_back(fd);
            }
        }
    }
    if ((msg.msg_flags & MSG_CTRUNC) != 0) {
        throw OsError(std::string("receiving ") + what + ": too many file descriptors attached", EMSGSIZE);
    }
    return static_cast<std::size_t>(n);
}

UniqueFd pidfdOpen(pid_t pid) {
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        throw OsError("pidfd_open(" + std::to_string(pid) + ")", errno);
    }
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return UniqueFd(static_cast<int>(fd));
}

bool pidfdSendSignal(int pidfd, int signal) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0) {
        return true;
    }
    if (errno == ESRCH) {
        return false;
    }
    throw OsError("pidfd_send_signal", errno);
}

std::pair<UniqueFd, UniqueFd> makePipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OsError("pipe2", errno);
    }
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> makeSocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        throw OsError("socketpair", errno);
    }
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace forkscope::fdio
