#include "connection.h"

#include "events/emit.h"
#include "events/wait_trace.h"
#include "ipc_errors.h"
#include "payload_checksum.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace forkscope {

struct Connection::State {
    UniqueFd fd;
    bool readable = false;
    bool writable = false;
    bool socket = false;
    bool readEnd = false; ///< readable as made (readable turns false when the read side is given up)
    FrameCodec codec;
    std::string readBroken;    ///< why the read side is no longer usable (stream out of step)
    std::uint64_t traceId = 0; ///< 0: untraced
};

namespace {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

Deadline deadlineFor(fdio::Timeout timeout) {
    if (!timeout) {
        return std::nullopt;
    }
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*timeout));
}

int remainingMs(const Deadline& deadline) {
    if (!deadline) {
        return -1;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX));
}

bool isSocket(int fd) {
    struct stat info {};
    return ::fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

/// Blocks SIGPIPE on this thread while writing to a pipe, so that a reader that went away
/// is an EPIPE error for the caller (as Python's BrokenPipeError) instead of killing the
/// process. A SIGPIPE raised by our own write is consumed before the old mask is restored.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
        wasBlocked_ = sigismember(&old_, SIGPIPE) == 1;
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;
    void consumeOwnSignal() {
        if (!wasBlocked_) { // otherwise the caller blocks SIGPIPE and may want to see it
            const timespec zero{};
            while (::sigtimedwait(&set_, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
    }
    ~SigpipeGuard() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

private:
    sigset_t set_{};
    sigset_t old_{};
    bool wasBlocked_ = false;
};

/// One process-wide map from an fd received in a fresh child to its connection state.
struct TransferRegistry {
    std::mutex mutex;
    std::map<int, std::weak_ptr<void>> states;
};

TransferRegistry& transferRegistry() {
    static TransferRegistry registry;
    return registry;
}

/// Set by blockSigpipeInThisThread(): sends from this thread need no per-call signal mask dance.
thread_local bool t_sigpipeBlocked = false;

constexpr std::size_t kSmallFrame = 4096; ///< up to this, header and payload go in one copy

} // namespace

Connection::Connection(UniqueFd fd, bool readable, bool writable) : d_(std::make_shared<State>()) {
    if (!fd.valid()) {
        throw ProcessError("a Connection needs an open file descriptor");
    }
    if (!readable && !writable) {
        throw ProcessError("a Connection must be readable, writable or both");
    }
    d_->socket = isSocket(fd.get());
    d_->fd = std::move(fd);
    d_->readable = readable;
    d_->readEnd = readable;
    d_->writable = writable;
}

std::string Connection::describe() const {
    if (!d_ || !d_->fd.valid()) {
        return "closed connection";
    }
    const char* direction =
        d_->readEnd && d_->writable ? "duplex" : (d_->readEnd ? "read-only" : "write-only");
    return "connection fd " + std::to_string(d_->fd.get()) + " (" + direction + " " +
           (d_->socket ? "socket" : "pipe") + " end)";
}

Connection::State& Connection::checked(const char* operation, bool wantRead, bool wantWrite) const {
    if (!d_ || !d_->fd.valid()) {
        throw ProcessError(std::string("cannot ") + operation + " on a closed connection");
    }
    if (wantRead && !d_->readable) {
        if (!d_->readBroken.empty()) {
            throw FrameCorruptedError(
                std::string("cannot ") + operation + " on " + describe() +
                ": its read side was given up after an earlier error: " + d_->readBroken);
        }
        throw ProcessError(std::string("cannot ") + operation + " on " + describe() +
                           ": it is the send-only end of a one-way Pipe(false)");
    }
    if (wantWrite && !d_->writable) {
        throw ProcessError(std::string("cannot ") + operation + " on " + describe() +
                           ": it is the receive-only end of a one-way Pipe(false)");
    }
    return *d_;
}

void Connection::sendBytes(std::span<const std::uint8_t> buffer, std::size_t offset,
                           std::optional<std::size_t> size) {
    State& s = checked("send", false, true);
    if (offset > buffer.size()) {
        throw std::out_of_range("sendBytes on " + describe() + ": offset " + std::to_string(offset) +
                                " is beyond the buffer of " + std::to_string(buffer.size()) + " bytes");
    }
    const std::size_t count = size.value_or(buffer.size() - offset);
    if (count > buffer.size() - offset) {
        throw std::out_of_range("sendBytes on " + describe() + ": offset " + std::to_string(offset) +
                                " + size " + std::to_string(count) + " is beyond the buffer of " +
                                std::to_string(buffer.size()) + " bytes");
    }
    const auto payload = buffer.subspan(offset, count);
    const FrameCodec::Header header = s.codec.encodeHeader(payload);

    // Small frames are copied into one buffer and written with one call: on a pipe a write of
    // at most PIPE_BUF bytes is atomic, so such messages never interleave with another
    // writer's. Larger ones go out with writev, without copying the payload.
    std::uint8_t small[kSmallFrame];
    iovec parts[2];
    int partCount = 0;
    if (FrameCodec::kHeaderSize + payload.size() <= kSmallFrame) {
        std::memcpy(small, header.data(), header.size());
        if (!payload.empty()) {
            std::memcpy(small + header.size(), payload.data(), payload.size());
        }
        parts[0] = {small, header.size() + payload.size()};
        partCount = 1;
    } else {
        parts[0] = {const_cast<std::uint8_t*>(header.data()), header.size()};
        parts[1] = {const_cast<std::uint8_t*>(payload.data()), payload.size()};
        partCount = 2;
    }

    writeParts(s, parts, partCount);
    trace::emit(EventType::PipeSend, s.traceId, header.size() + payload.size());
}

void Connection::writeParts(State& s, iovec* part, int partCount,
                            const std::function<void()>** beforeBlocking) {
    std::optional<SigpipeGuard> guard;
    if (!s.socket && !t_sigpipeBlocked) {
        guard.emplace();
    }
    // Runs the caller's "about to wait" hook once.
    auto announceWait = [&] {
        if (beforeBlocking != nullptr && *beforeBlocking != nullptr) {
            (**beforeBlocking)();
            *beforeBlocking = nullptr;
        }
    };
    while (partCount > 0) {
        ssize_t n = 0;
        if (beforeBlocking != nullptr && *beforeBlocking != nullptr) {
            // Try without waiting (the fd itself stays blocking: its file description is shared
            // with other processes). Whatever does not fit now is what the send waits for.
            std::size_t total = 0;
            for (int i = 0; i < partCount; ++i) {
                total += part[i].iov_len;
            }
            if (s.socket) {
                msghdr message{};
                message.msg_iov = part;
                message.msg_iovlen = static_cast<std::size_t>(partCount);
                n = ::sendmsg(s.fd.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
            } else {
                n = ::pwritev2(s.fd.get(), part, partCount, -1, RWF_NOWAIT);
            }
            if (n < 0 &&
                (errno == EOPNOTSUPP || errno == EINVAL || errno == EAGAIN || errno == EWOULDBLOCK)) {
                // Nothing written: the pipe may be full, or (a kernel without RWF_NOWAIT for
                // pipes, or a reader holding the pipe's lock) the attempt said nothing. Ask
                // how full it is, as the kernel would decide for a waiting write.
                int unread = 0;
                if (s.socket || ::ioctl(s.fd.get(), FIONREAD, &unread) != 0 ||
                    static_cast<std::size_t>(unread) + total > capacity()) {
                    announceWait();
                }
                *beforeBlocking = nullptr;
                continue;
            }
            if (n >= 0 && static_cast<std::size_t>(n) < total) {
                announceWait();
            }
        } else if (s.socket) {
            msghdr message{};
            message.msg_iov = part;
            message.msg_iovlen = static_cast<std::size_t>(partCount);
            n = ::sendmsg(s.fd.get(), &message, MSG_NOSIGNAL);
        } else {
            n = ::writev(s.fd.get(), part, partCount);
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) { // someone made the fd non-blocking
                pollfd pfd{s.fd.get(), POLLOUT, 0};
                (void)::poll(&pfd, 1, -1);
                continue;
            }
            const int err = errno;
            if (err == EPIPE || err == ECONNRESET) {
                if (guard) {
                    guard->consumeOwnSignal();
                }
                throw OsError("send on " + describe() + ": the peer closed its end (broken pipe)", err);
            }
            throw OsError("send on " + describe(), err);
        }
        auto written = static_cast<std::size_t>(n);
        while (partCount > 0 && written >= part->iov_len) {
            written -= part->iov_len;
            ++part;
            --partCount;
        }
        if (partCount > 0) {
            part->iov_base = static_cast<std::uint8_t*>(part->iov_base) + written;
            part->iov_len -= written;
        }
    }
}

void Connection::sendMessages(std::span<const std::vector<std::uint8_t>> messages,
                              const std::function<void()>* beforeBlocking) {
    State& s = checked("send", false, true);
    // One writev for many frames (up to IOV_MAX parts at a time): the caller keeps other
    // writers out (a Queue holds its writer lock), so whole frames stay whole.
    constexpr std::size_t kMaxParts = 1024;
    std::vector<FrameCodec::Header> headers;
    std::vector<iovec> parts;
    headers.reserve(std::min(messages.size(), kMaxParts / 2)); // never reallocated below
    parts.reserve(std::min(messages.size() * 2, kMaxParts));
    for (std::size_t i = 0; i < messages.size();) {
        headers.clear();
        parts.clear();
        const std::size_t first = i;
        // Two parts per message at most; the headers must not move once parts point into them.
        for (; i < messages.size() && headers.size() * 2 + 2 <= kMaxParts; ++i) {
            headers.push_back(s.codec.encodeHeader(messages[i]));
        }
        for (std::size_t h = 0; h < headers.size(); ++h) {
            const auto& payload = messages[first + h];
            parts.push_back({headers[h].data(), headers[h].size()});
            if (!payload.empty()) {
                parts.push_back({const_cast<std::uint8_t*>(payload.data()), payload.size()});
            }
        }
        writeParts(s, parts.data(), static_cast<int>(parts.size()), &beforeBlocking);
        if (s.traceId != 0 && trace::enabled()) {
            std::size_t bytes = 0;
            for (std::size_t h = 0; h < headers.size(); ++h) {
                bytes += headers[h].size() + messages[first + h].size();
            }
            trace::emit(EventType::PipeSend, s.traceId, bytes);
        }
    }
}

void Connection::blockSigpipeInThisThread() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    t_sigpipeBlocked = true;
}

std::size_t Connection::receiveFrame(std::optional<std::uint64_t> maxLength, std::span<std::uint8_t> target,
                                     std::vector<std::uint8_t>& overflow, fdio::Timeout timeout,
                                     const char* operation) {
    State& s = checked(operation, true, false);
    const Deadline deadline = deadlineFor(timeout);
    const int fd = s.fd.get();
    // Built only for an error: this is the hot path of every message.
    auto where = [&] { return std::string(operation) + " on " + describe(); };

    // Gives up the read side: after a partial or bad frame the stream is out of step and
    // nothing that follows can be trusted (Python's Connection does the same after a bad
    // length). The fd stays open: its owner decides when to close it.
    auto giveUp = [&](const std::string& why) {
        s.readBroken = why;
        s.readable = false;
    };

    auto progress = [&](std::uint64_t frameOffset, std::uint64_t frameSize) {
        return std::to_string(frameOffset) + " of " +
               (frameSize > 0 ? std::to_string(frameSize)
                              : std::string("at least ") + std::to_string(FrameCodec::kHeaderSize)) +
               " bytes";
    };

    // Waits until the fd is readable or the deadline passes (then throws: the frame is lost if
    // part of it was read already).
    auto waitReadable = [&](std::uint64_t frameOffset, std::uint64_t frameSize) {
        for (;;) {
            pollfd pfd{fd, POLLIN, 0};
            const int rc = ::poll(&pfd, 1, remainingMs(deadline));
            if (rc > 0) {
                return;
            }
            if (rc < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw OsError(where() + ": poll", errno);
            }
            if (frameOffset == 0) {
                throw TimeoutError(where() + ": no message arrived within " + std::to_string(*timeout) +
                                   " s");
            }
            const std::string why =
                "timed out in the middle of a frame (after " + progress(frameOffset, frameSize) + ")";
            giveUp(why);
            throw TimeoutError(where() + ": " + why + "; the read side is no longer usable");
        }
    };

    // Reads what has arrived, at most `size` bytes, at `frameOffset` of a frame of `frameSize`
    // bytes (0: not known yet). Returns at least one byte, or 0 on EOF before the frame's first
    // byte. With a deadline a socket is first read with MSG_DONTWAIT, and polled only when it
    // has nothing: a poll before every read would double the system calls of a large message.
    // A pipe has no per-call non-blocking read (its file description is shared), so it is
    // polled first.
    auto readSome = [&](std::uint8_t* data, std::size_t size, std::uint64_t frameOffset,
                        std::uint64_t frameSize) -> std::size_t {
        for (;;) {
            ssize_t n = 0;
            if (deadline && s.socket) {
                n = ::recv(fd, data, size, MSG_DONTWAIT);
            } else {
                if (deadline) {
                    waitReadable(frameOffset, frameSize);
                }
                n = ::read(fd, data, size);
            }
            if (n > 0) {
                return static_cast<std::size_t>(n);
            }
            if (n == 0) {
                if (frameOffset == 0) {
                    return 0;
                }
                const std::string why = "the peer closed its end in the middle of a message (after " +
                                        progress(frameOffset, frameSize) + ")";
                giveUp(why);
                throw EofError(where() + ": " + why);
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) { // nothing yet, or a non-blocking fd
                waitReadable(frameOffset, frameSize);
                continue;
            }
            throw OsError(where(), errno);
        }
    };

    // Reads exactly `size` bytes; false on EOF before the first byte of the frame.
    auto readFully = [&](std::uint8_t* data, std::size_t size, std::uint64_t frameOffset,
                         std::uint64_t frameSize) -> bool {
        for (std::size_t done = 0; done < size;) {
            const std::size_t n = readSome(data + done, size - done, frameOffset + done, frameSize);
            if (n == 0) {
                return false;
            }
            done += n;
        }
        return true;
    };

    FrameCodec::Header headerBytes{};
    // A receive that has to wait says so (one poll(0), made only with tracing on).
    WaitTrace waitTrace;
    if (s.traceId != 0 && trace::enabled() && !fdio::waitFor(fd, POLLIN, 0.0)) {
        waitTrace.begin(s.traceId, EventType::PipeRecv);
    }
    if (!readFully(headerBytes.data(), headerBytes.size(), 0, 0)) {
        throw EofError(where() + ": the peer closed its end; no more messages will arrive");
    }
    FrameHeader header;
    try {
        header = s.codec.decodeHeader(headerBytes);
    } catch (const FrameCorruptedError& e) {
        giveUp(e.what());
        throw FrameCorruptedError(where() + ": " + e.what());
    }
    if (maxLength && header.length > *maxLength) {
        const std::string why = "bad message length: " + std::to_string(header.length) +
                                " bytes, more than the maximum of " + std::to_string(*maxLength) +
                                " asked for";
        giveUp(why);
        throw OsError(where() + ": " + why, EMSGSIZE);
    }
    // Straight into the caller's buffer when the message fits (no copy); otherwise into a
    // vector of exactly the announced size, which the cap above has bounded.
    const auto length = static_cast<std::size_t>(header.length);
    std::span<std::uint8_t> payload;
    if (length <= target.size()) {
        payload = target.first(length);
    } else {
        overflow.resize(length);
        payload = overflow;
    }
    // Each read takes all that has arrived (a few hundred KiB at most: what the socket or pipe
    // holds) and is summed at once, while it is still in the cache.
    PayloadChecksum checksum(length);
    for (std::size_t at = 0; at < length;) {
        const std::size_t n = readSome(payload.data() + at, length - at, FrameCodec::kHeaderSize + at,
                                       FrameCodec::kHeaderSize + length);
        checksum.update(payload.subspan(at, n));
        at += n;
    }
    try {
        s.codec.verifyChecksum(header, checksum.value(), length);
    } catch (const FrameCorruptedError& e) {
        giveUp(e.what());
        throw FrameCorruptedError(where() + ": " + e.what());
    }
    waitTrace.end(true);
    trace::emit(EventType::PipeRecv, s.traceId, FrameCodec::kHeaderSize + length);
    return length;
}

std::vector<std::uint8_t> Connection::recvBytes(std::optional<std::size_t> maxLength, fdio::Timeout timeout) {
    std::vector<std::uint8_t> message;
    (void)receiveFrame(maxLength, {}, message, timeout, "recvBytes");
    return message;
}

std::size_t Connection::recvBytesInto(std::span<std::uint8_t> buffer, std::size_t offset,
                                      fdio::Timeout timeout) {
    if (offset > buffer.size()) {
        throw std::out_of_range("recvBytesInto on " + describe() + ": offset " + std::to_string(offset) +
                                " is beyond the buffer of " + std::to_string(buffer.size()) + " bytes");
    }
    std::vector<std::uint8_t> overflow;
    const std::size_t length =
        receiveFrame(std::nullopt, buffer.subspan(offset), overflow, timeout, "recvBytesInto");
    if (length > buffer.size() - offset) {
        const std::string what = "recvBytesInto on " + describe() + ": a message of " +
                                 std::to_string(length) + " bytes does not fit in the " +
                                 std::to_string(buffer.size() - offset) + " bytes after offset " +
                                 std::to_string(offset);
        throw BufferTooShortError(what, std::move(overflow));
    }
    return length;
}

bool Connection::poll(fdio::Timeout timeout) const {
    State& s = checked("poll", true, false);
    return fdio::waitFor(s.fd.get(), POLLIN, timeout);
}

void Connection::close() {
    if (d_) {
        d_->fd.reset();
    }
}

bool Connection::closed() const noexcept {
    return !d_ || !d_->fd.valid();
}

bool Connection::readable() const noexcept {
    return d_ && d_->readable;
}

bool Connection::writable() const noexcept {
    return d_ && d_->writable;
}

int Connection::fileno() const {
    return checked("get the fileno of", false, false).fd.get();
}

std::size_t Connection::bytesUnread() const {
    State& s = checked("count the unread bytes of", false, false);
    int count = 0;
    if (::ioctl(s.fd.get(), FIONREAD, &count) != 0) {
        throw OsError("FIONREAD on " + describe(), errno);
    }
    return static_cast<std::size_t>(count);
}

std::size_t Connection::capacity() const {
    State& s = checked("get the capacity of", false, false);
    if (!s.socket) {
        const int size = ::fcntl(s.fd.get(), F_GETPIPE_SZ);
        if (size < 0) {
            throw OsError("F_GETPIPE_SZ on " + describe(), errno);
        }
        return static_cast<std::size_t>(size);
    }
    int size = 0;
    socklen_t length = sizeof size;
    if (::getsockopt(s.fd.get(), SOL_SOCKET, SO_SNDBUF, &size, &length) != 0) {
        throw OsError("SO_SNDBUF of " + describe(), errno);
    }
    return static_cast<std::size_t>(size);
}

std::uint64_t Connection::maxMessageSize() const {
    return checked("get the message limit of", false, false).codec.maxLength();
}

void Connection::setMaxMessageSize(std::uint64_t bytes) {
    checked("set the message limit of", false, false).codec = FrameCodec(bytes);
}

std::uint64_t Connection::traceId() const noexcept {
    return d_ ? d_->traceId : 0;
}

void Connection::setTraceId(std::uint64_t id) {
    if (d_) {
        d_->traceId = id;
    }
}

int Connection::handleForTransfer() const {
    if (closed()) {
        throw SerializationError("cannot pass a closed connection to a child");
    }
    return d_->fd.get();
}

Connection Connection::adoptTransferred(int fd, bool readable, bool writable) {
    TransferRegistry& registry = transferRegistry();
    std::lock_guard lock(registry.mutex);
    // Arguments are decoded lazily, so a copy may already have been closed when another
    // argument naming the same fd is decoded: it must come back as that same (closed) handle,
    // never as a fresh one adopting a number that is closed or, worse, reused.
    auto [slot, fresh] = registry.states.try_emplace(fd);
    if (!fresh) {
        if (auto existing = std::static_pointer_cast<State>(slot->second.lock())) {
            Connection connection;
            connection.d_ = std::move(existing);
            return connection;
        }
        throw SerializationError("a connection passed as fd " + std::to_string(fd) +
                                 " was already closed and released in this process");
    }
    Connection connection(UniqueFd(fd), readable, writable);
    slot->second = connection.d_;
    return connection;
}

} // namespace forkscope
