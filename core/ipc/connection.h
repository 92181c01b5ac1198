#pragma once

#include "frame_codec.h"
#include "process/errors.h"
#include "process/fd_handle.h"
#include "process/fd_io.h"
#include "process/type_name.h"
#include "process/unique_fd.h"
#include "tagged_codec.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <typeinfo>
#include <vector>

namespace forkscope {

/// One end of a Pipe: Python's multiprocessing.connection.Connection.
///
/// Messages are framed (see FrameCodec): send()/recv<T>() carry cereal-serialised objects,
/// sendBytes()/recvBytes() raw bytes. A Connection is a handle: copies share one fd, and
/// close() closes it for every copy in this process. It is passed to a child as a start
/// argument under every start method (fork inherits it, spawn/forkserver pass the fd).
///
/// Like Python's, a Connection is not thread-safe, and a read takes exactly one frame from the
/// fd (never more), so several processes may share a read end under a lock, as a Queue does.
/// Frames larger than PIPE_BUF are not written atomically: concurrent writers to one end
/// interleave, and the reader then throws FrameCorruptedError instead of returning garbage.
class Connection {
public:
    /// A closed connection (what a default-constructed or moved-from handle is).
    Connection() = default;
    /// Adopts `fd` (a pipe end or a connected stream socket).
    Connection(UniqueFd fd, bool readable, bool writable);

    /// Serialises `object` with cereal (tagged with its type, so recv<U>() of another type is a
    /// clear error) and sends it as one frame.
    template <class T> void send(const T& object);
    /// Receives one object sent with send<T>(). Throws EofError when the peer has closed,
    /// TimeoutError when no message starts within `timeout` seconds (nullopt: wait forever),
    /// SerializationError when the message holds another type.
    template <class T> [[nodiscard]] T recv(fdio::Timeout timeout = std::nullopt);

    /// Sends buffer[offset, offset+size) as one message (size: up to the end by default).
    void sendBytes(std::span<const std::uint8_t> buffer, std::size_t offset = 0,
                   std::optional<std::size_t> size = std::nullopt);
    void sendBytes(std::string_view text, std::size_t offset = 0,
                   std::optional<std::size_t> size = std::nullopt) {
        sendBytes(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), offset, size);
    }
    void sendBytes(std::span<const std::byte> buffer, std::size_t offset = 0,
                   std::optional<std::size_t> size = std::nullopt) {
        sendBytes(std::span(reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size()), offset,
                  size);
    }
    /// Sends several messages with as few system calls as possible (one writev per up to 512
    /// messages). Frames over PIPE_BUF are not atomic: the caller keeps other writers away.
    /// `beforeBlocking`, if given, runs once just before the send has to wait for room (it is
    /// found out by trying the write without waiting first, so it costs no system call when the
    /// send does not wait); a queue's feeder reports its blocked state there.
    void sendMessages(std::span<const std::vector<std::uint8_t>> messages,
                      const std::function<void()>* beforeBlocking = nullptr);
    /// Blocks SIGPIPE for the calling thread for good, so that sends from it (a queue's feeder)
    /// report a vanished reader as EPIPE without masking and unmasking the signal each time.
    static void blockSigpipeInThisThread();

    /// Receives one message. A message longer than maxLength makes the read side unusable and
    /// throws OsError(EMSGSIZE), as Python's "bad message length".
    [[nodiscard]] std::vector<std::uint8_t> recvBytes(std::optional<std::size_t> maxLength = std::nullopt,
                                                      fdio::Timeout timeout = std::nullopt);
    /// Receives one message into buffer[offset...] and returns its size. If it does not fit,
    /// throws BufferTooShortError carrying the whole message.
    std::size_t recvBytesInto(std::span<std::uint8_t> buffer, std::size_t offset = 0,
                              fdio::Timeout timeout = std::nullopt);

    /// Whether a message (or the peer's EOF) is ready, waiting up to `timeout` seconds
    /// (nullopt: forever). Python's Connection.poll(timeout=0.0).
    [[nodiscard]] bool poll(fdio::Timeout timeout = 0.0) const;

    /// Closes the fd for every copy of this handle in this process. Idempotent.
    void close();
    [[nodiscard]] bool closed() const noexcept;
    [[nodiscard]] bool readable() const noexcept;
    [[nodiscard]] bool writable() const noexcept;
    [[nodiscard]] int fileno() const;

    /// Bytes written by the peer and not yet read at this end (FIONREAD). On a send-only pipe
    /// end: the bytes in the pipe that the reader has not taken yet. Cheap: one ioctl.
    [[nodiscard]] std::size_t bytesUnread() const;
    /// How many bytes can be in flight toward a reader before a writer blocks: F_GETPIPE_SZ
    /// for a pipe; for a socketpair, the socket's SO_SNDBUF (both ends get the same size, and
    /// the sender's buffer is what bounds an AF_UNIX stream; the kernel counts its own
    /// bookkeeping in it, so the payload that fits is somewhat smaller).
    [[nodiscard]] std::size_t capacity() const;

    /// The largest message this end accepts or sends (default 1 GiB). A larger declared length
    /// is treated as corruption before anything is allocated.
    [[nodiscard]] std::uint64_t maxMessageSize() const;
    void setMaxMessageSize(std::uint64_t bytes);

    /// The trace object id this end emits PipeSend/PipeRecv with (0: untraced, the default for
    /// a bare Connection). makePipe() gives both ends of a pipe one id; it travels with the
    /// handle to a child (copied under fork, serialised under spawn/forkserver).
    [[nodiscard]] std::uint64_t traceId() const noexcept;
    void setTraceId(std::uint64_t id);

    /// A short description for error messages: "connection fd 7 (read-only pipe end)".
    [[nodiscard]] std::string describe() const;

    friend bool operator==(const Connection& a, const Connection& b) noexcept { return a.d_ == b.d_; }

    template <class Archive> void save(Archive& ar) const {
        ar(FdHandle(handleForTransfer()), readable(), writable(), traceId());
    }
    template <class Archive> void load(Archive& ar) {
        FdHandle handle;
        bool readable = false;
        bool writable = false;
        std::uint64_t traceId = 0;
        ar(handle, readable, writable, traceId);
        *this = adoptTransferred(handle.fd(), readable, writable);
        setTraceId(traceId);
    }

private:
    struct State;
    /// Writes every part. With beforeBlocking: first without waiting, and calls it once (and
    /// clears it) if that could not write everything.
    void writeParts(State& s, ::iovec* parts, int partCount,
                    const std::function<void()>** beforeBlocking = nullptr);

    [[nodiscard]] int handleForTransfer() const;
    /// The connection for an fd that arrived in a fresh child: one shared state per fd, so
    /// two arguments naming the same end stay copies of one handle.
    [[nodiscard]] static Connection adoptTransferred(int fd, bool readable, bool writable);
    /// Reads one frame: into `target` if it fits, else into `overflow`. Returns its length.
    std::size_t receiveFrame(std::optional<std::uint64_t> maxLength, std::span<std::uint8_t> target,
                             std::vector<std::uint8_t>& overflow, fdio::Timeout timeout,
                             const char* operation);
    [[nodiscard]] State& checked(const char* operation, bool wantRead, bool wantWrite) const;

    std::shared_ptr<State> d_;
};

template <class T> void Connection::send(const T& object) {
    sendBytes(tagged::encode(object));
}

template <class T> T Connection::recv(fdio::Timeout timeout) {
    std::vector<std::uint8_t> payload;
    (void)receiveFrame(std::nullopt, {}, payload, timeout, "recv");
    return tagged::decode<T>(payload, [&] { return "recv<" + typeName<T>() + "> on " + describe(); });
}

} // namespace forkscope
