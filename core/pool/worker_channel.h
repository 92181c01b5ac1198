#pragma once

#include "process/fd_io.h"
#include "wire_reader.h"

#include <cstddef>
#include <optional>
#include <span>

namespace forkscope::detail {

/// One end of a pool's private socketpair: batched, non-blocking framing. Frames are appended
/// to output() and go out with as few send() calls as possible; fill() reads everything that is
/// available and nextFrame() hands out the complete frames one by one. Both the parent and
/// the worker use it; it borrows the fd (its owner closes it).
class WorkerChannel {
public:
    explicit WorkerChannel(int fd);
    WorkerChannel(const WorkerChannel&) = delete;
    WorkerChannel& operator=(const WorkerChannel&) = delete;

    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] Bytes& output() noexcept { return out_; }
    [[nodiscard]] bool pendingOutput() const noexcept { return sent_ < out_.size(); }

    /// Sends what the socket takes without blocking. Returns false when the peer is gone.
    bool flush();
    /// Sends everything, waiting for room (timeout as in fdio; throws TimeoutError, OsError).
    void flushBlocking(fdio::Timeout timeout);
    /// Reads all that is available without blocking. Returns false at end of stream.
    bool fill();
    /// Waits in recv() for data, then reads what is available. Returns false at end of stream.
    bool fillBlocking();
    /// The next complete frame's body, valid until the next fill(); nullopt if none is complete.
    std::optional<std::span<const std::uint8_t>> nextFrame();

private:
    void makeRoom();

    int fd_;
    Bytes out_;
    std::size_t sent_ = 0;
    Bytes in_;
    std::size_t inBegin_ = 0;
    std::size_t inEnd_ = 0;
};

} // namespace forkscope::detail
