#include "frame_codec.h"

#include "crc32c.h"
#include "ipc_errors.h"
#include "payload_checksum.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace forkscope {

namespace {

// Byte offsets inside the header.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kLengthAt = 8;
constexpr std::size_t kPayloadChecksumAt = 16;
constexpr std::size_t kHeaderCrcAt = 20;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the frame header is written in host order");

template <class T> T load(std::span<const std::uint8_t> bytes, std::size_t at) {
    T value{};
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

template <class T> void store(FrameCodec::Header& header, std::size_t at, T value) {
    std::memcpy(header.data() + at, &value, sizeof value);
}

std::string hex32(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

constexpr const char* kLikelyCause =
    " (the stream is out of step: most likely two processes wrote messages larger than PIPE_BUF "
    "to the same end at the same time and their bytes interleaved)";

} // namespace

FrameCodec::Header FrameCodec::encodeHeader(std::span<const std::uint8_t> payload) const {
    if (payload.size() > maxLength_) {
        throw std::length_error("cannot frame a message of " + std::to_string(payload.size()) +
                                " bytes: the limit is " + std::to_string(maxLength_) + " bytes");
    }
    Header header{};
    store<std::uint32_t>(header, kMagicAt, kMagic);
    store<std::uint32_t>(header, kVersionAt, kVersion);
    store<std::uint64_t>(header, kLengthAt, payload.size());
    store<std::uint32_t>(header, kPayloadChecksumAt, PayloadChecksum::of(payload));
    store<std::uint32_t>(header, kHeaderCrcAt, Crc32c::compute(std::span(header.data(), kHeaderCrcAt)));
    return header;
}

std::vector<std::uint8_t> FrameCodec::encode(std::span<const std::uint8_t> payload) const {
    const Header header = encodeHeader(payload);
    std::vector<std::uint8_t> frame(kHeaderSize + payload.size());
    std::memcpy(frame.data(), header.data(), kHeaderSize);
    if (!payload.empty()) {
        std::memcpy(frame.data() + kHeaderSize, payload.data(), payload.size());
    }
    return frame;
}

FrameHeader FrameCodec::decodeHeader(std::span<const std::uint8_t> header) const {
    if (header.size() != kHeaderSize) {
        throw FrameCorruptedError("frame header must be " + std::to_string(kHeaderSize) + " bytes, got " +
                                  std::to_string(header.size()));
    }
    const auto magic = load<std::uint32_t>(header, kMagicAt);
    if (magic != kMagic) {
        throw FrameCorruptedError("bad frame magic: expected " + hex32(kMagic) + ", saw " + hex32(magic) +
                                  kLikelyCause);
    }
    const auto headerCrc = load<std::uint32_t>(header, kHeaderCrcAt);
    const auto computed = Crc32c::compute(header.first(kHeaderCrcAt));
    if (headerCrc != computed) {
        throw FrameCorruptedError("frame header checksum mismatch: header says " + hex32(headerCrc) +
                                  ", its bytes give " + hex32(computed) + kLikelyCause);
    }
    const auto version = load<std::uint32_t>(header, kVersionAt);
    if (version != kVersion) {
        throw FrameCorruptedError("unsupported frame version: expected " + std::to_string(kVersion) +
                                  ", saw " + std::to_string(version));
    }
    FrameHeader result;
    result.length = load<std::uint64_t>(header, kLengthAt);
    result.payloadChecksum = load<std::uint32_t>(header, kPayloadChecksumAt);
    if (result.length > maxLength_) {
        throw FrameCorruptedError("frame declares a payload of " + std::to_string(result.length) +
                                  " bytes, more than the limit of " + std::to_string(maxLength_) +
                                  " bytes; refusing to allocate for it");
    }
    return result;
}

void FrameCodec::verifyPayload(const FrameHeader& header, std::span<const std::uint8_t> payload) const {
    verifyChecksum(header, PayloadChecksum::of(payload), payload.size());
}

void FrameCodec::verifyChecksum(const FrameHeader& header, std::uint32_t computed, std::uint64_t size) const {
    if (size != header.length) {
        throw FrameCorruptedError("frame payload size mismatch: header says " +
                                  std::to_string(header.length) + " bytes, got " + std::to_string(size));
    }
    if (computed != header.payloadChecksum) {
        throw FrameCorruptedError("frame payload checksum mismatch over " + std::to_string(size) +
                                  " bytes: header says " + hex32(header.payloadChecksum) +
                                  ", payload gives " + hex32(computed) + kLikelyCause);
    }
}

std::optional<FrameCodec::Decoded> FrameCodec::decode(std::span<const std::uint8_t> bytes) const {
    if (bytes.size() < kHeaderSize) {
        // Check what is there already, so garbage is refused without waiting for more of it.
        const std::size_t have = std::min(bytes.size(), sizeof kMagic);
        std::uint32_t magic = kMagic;
        if (have > 0) {
            std::memcpy(&magic, bytes.data(), have);
        }
        if (magic != kMagic) {
            throw FrameCorruptedError("bad frame magic: expected " + hex32(kMagic) + ", the first " +
                                      std::to_string(have) + " bytes do not match" + kLikelyCause);
        }
        return std::nullopt;
    }
    const FrameHeader header = decodeHeader(bytes.first(kHeaderSize));
    if (bytes.size() - kHeaderSize < header.length) {
        return std::nullopt;
    }
    const auto payload = bytes.subspan(kHeaderSize, static_cast<std::size_t>(header.length));
    verifyPayload(header, payload);
    return Decoded{payload, kHeaderSize + payload.size()};
}

FrameCodec::Decoded FrameCodec::decodeComplete(std::span<const std::uint8_t> bytes) const {
    std::optional<Decoded> decoded = decode(bytes);
    if (!decoded) {
        std::string expected = "at least " + std::to_string(kHeaderSize);
        if (bytes.size() >= kHeaderSize) {
            expected = std::to_string(kHeaderSize + decodeHeader(bytes.first(kHeaderSize)).length);
        }
        throw FrameCorruptedError("truncated frame: expected " + expected + " bytes, only " +
                                  std::to_string(bytes.size()) + " are there");
    }
    return *decoded;
}

} // namespace forkscope
