#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace forkscope {

/// The peer closed its end (or exited) and no further message can arrive: the analogue of
/// Python's EOFError from Connection.recv(). Raised instead of blocking forever.
class EofError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The bytes on a connection do not form a valid frame: a bad magic number, a header or
/// payload checksum that does not match, or a declared length beyond the limit. The usual cause
/// is two processes writing messages larger than PIPE_BUF to the same end at the same time, so
/// that their bytes interleave. The message says what was expected and what was seen.
class FrameCorruptedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// recvBytesInto() was given a buffer too small for the message: the analogue of Python's
/// multiprocessing.BufferTooShort. The complete message is still delivered, in message().
class BufferTooShortError : public std::runtime_error {
public:
    BufferTooShortError(const std::string& what, std::vector<std::uint8_t> message)
        : std::runtime_error(what), message_(std::move(message)) {}
    [[nodiscard]] const std::vector<std::uint8_t>& message() const noexcept { return message_; }

private:
    std::vector<std::uint8_t> message_;
};

} // namespace forkscope
