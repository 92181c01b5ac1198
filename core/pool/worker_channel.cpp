#include "worker_channel.h"

#include "process/errors.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forkscope::detail {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxFrame = std::size_t{1} << 30;
} // namespace

WorkerChannel::WorkerChannel(int fd) : fd_(fd) {
    // The socket stays in blocking mode (shared with nobody but the peer): the parent asks for
    // non-blocking behaviour per call (MSG_DONTWAIT), and a worker can wait in recv() itself,
    // without a poll() first.
    in_.resize(kReadChunk);
}

bool WorkerChannel::flush() {
    while (sent_ < out_.size()) {
        const ssize_t n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent_ += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return false;
        }
        throw OsError("sending on a pool channel", errno);
    }
    out_.clear();
    sent_ = 0;
    return true;
}

void WorkerChannel::flushBlocking(fdio::Timeout timeout) {
    for (;;) {
        if (!flush()) {
            throw OsError("sending on a pool channel (the peer is gone)", EPIPE);
        }
        if (!pendingOutput()) {
            return;
        }
        if (!fdio::waitFor(fd_, POLLOUT, timeout)) {
            throw TimeoutError("timed out sending on a pool channel");
        }
    }
}

void WorkerChannel::makeRoom() {
    if (inBegin_ == inEnd_) {
        inBegin_ = inEnd_ = 0;
    } else if (in_.size() - inEnd_ < kReadChunk && inBegin_ > 0) {
        std::memmove(in_.data(), in_.data() + inBegin_, inEnd_ - inBegin_);
        inEnd_ -= inBegin_;
        inBegin_ = 0;
    }
    if (in_.size() - inEnd_ < kReadChunk) {
        in_.resize(inEnd_ + kReadChunk);
    }
}

bool WorkerChannel::fill() {
    for (;;) {
        makeRoom();
        const std::size_t room = in_.size() - inEnd_;
        const ssize_t n = ::recv(fd_, in_.data() + inEnd_, room, MSG_DONTWAIT);
        if (n > 0) {
            inEnd_ += static_cast<std::size_t>(n);
            if (static_cast<std::size_t>(n) < room) {
                return true; // a short read drained the socket: spare the EAGAIN round trip
            }
            continue;
        }
        if (n == 0) {
            return false;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return true;
        }
        if (errno == ECONNRESET) {
            return false;
        }
        throw OsError("reading a pool channel", errno);
    }
}

bool WorkerChannel::fillBlocking() {
    makeRoom();
    for (;;) {
        const std::size_t room = in_.size() - inEnd_;
        const ssize_t n = ::recv(fd_, in_.data() + inEnd_, room, 0);
        if (n > 0) {
            inEnd_ += static_cast<std::size_t>(n);
            return static_cast<std::size_t>(n) < room || fill();
        }
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return false;
        }
        if (errno != EINTR) {
            throw OsError("reading a pool channel", errno);
        }
    }
}

std::optional<std::span<const std::uint8_t>> WorkerChannel::nextFrame() {
    const std::size_t available = inEnd_ - inBegin_;
    std::uint32_t length = 0;
    if (available < sizeof length) {
        return std::nullopt;
    }
    std::memcpy(&length, in_.data() + inBegin_, sizeof length);
    if (length > kMaxFrame) {
        throw OsError("pool channel: frame of " + std::to_string(length) + " bytes exceeds the limit",
                      EMSGSIZE);
    }
    if (available < sizeof length + length) {
        return std::nullopt;
    }
    std::span<const std::uint8_t> body(in_.data() + inBegin_ + sizeof length, length);
    inBegin_ += sizeof length + length;
    return body;
}

} // namespace forkscope::detail
