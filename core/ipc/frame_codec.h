#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace forkscope {

/// What a valid frame header announces.
struct FrameHeader {
    std::uint64_t length = 0;          ///< payload bytes that follow the header
    std::uint32_t payloadChecksum = 0; ///< PayloadChecksum of those bytes
};

/// The wire format of a Connection message, kept apart from any I/O so that it can be tested
/// (and fuzzed) as a pure function over bytes.
///
/// A frame is a 24-byte header followed by the payload. Header, little-endian:
///   u32 magic "FSF1" | u32 version (2) | u64 payload length | u32 payload checksum (see
///   PayloadChecksum) | u32 CRC-32C of the preceding 20 header bytes.
/// The header checksum lets a reader that has lost step (two writers interleaved frames larger
/// than PIPE_BUF, which POSIX does not write atomically) refuse a garbage length *before*
/// allocating for it; the length cap bounds what even a well-formed header may ask for; the
/// payload checksum catches a payload whose chunks came from two writers.
class FrameCodec {
public:
    static constexpr std::size_t kHeaderSize = 24;
    static constexpr std::uint32_t kMagic = 0x31465346u; // "FSF1" in memory order
    /// 0 summed payloads with CRC-32C, 1 with XXH3 at every size, 2 with XXH3 below 4 KiB and
    /// the bulk sum above (PayloadChecksum).
    static constexpr std::uint32_t kVersion = 2;
    static constexpr std::uint64_t kDefaultMaxLength = std::uint64_t{1} << 30; // 1 GiB

    using Header = std::array<std::uint8_t, kHeaderSize>;

    /// The result of decoding a complete frame: its payload (a view into the input) and how
    /// many input bytes the frame took.
    struct Decoded {
        std::span<const std::uint8_t> payload;
        std::size_t consumed = 0;
    };

    explicit FrameCodec(std::uint64_t maxLength = kDefaultMaxLength) noexcept : maxLength_(maxLength) {}
    [[nodiscard]] std::uint64_t maxLength() const noexcept { return maxLength_; }

    /// The header for `payload`. Throws std::length_error if the payload exceeds maxLength().
    [[nodiscard]] Header encodeHeader(std::span<const std::uint8_t> payload) const;
    /// Header and payload in one buffer.
    [[nodiscard]] std::vector<std::uint8_t> encode(std::span<const std::uint8_t> payload) const;

    /// Validates a header (exactly kHeaderSize bytes): magic, version, header checksum, length
    /// cap. Throws FrameCorruptedError naming what was expected and what was seen.
    [[nodiscard]] FrameHeader decodeHeader(std::span<const std::uint8_t> header) const;
    /// Throws FrameCorruptedError if the payload's size or checksum does not match the header.
    void verifyPayload(const FrameHeader& header, std::span<const std::uint8_t> payload) const;
    /// The same check for a reader that summed the payload itself (PayloadChecksum, piece by piece).
    void verifyChecksum(const FrameHeader& header, std::uint32_t computed, std::uint64_t size) const;

    /// Decodes the frame at the start of `bytes`. std::nullopt: what is there is the valid
    /// beginning of a frame but it is incomplete (read more). Throws FrameCorruptedError as soon
    /// as the bytes cannot be a valid frame; never allocates.
    [[nodiscard]] std::optional<Decoded> decode(std::span<const std::uint8_t> bytes) const;
    /// Like decode(), for a buffer that is all there will ever be: an incomplete frame is a
    /// truncated frame, and that is an error too.
    [[nodiscard]] Decoded decodeComplete(std::span<const std::uint8_t> bytes) const;

private:
    std::uint64_t maxLength_;
};

} // namespace forkscope
