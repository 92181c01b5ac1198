#include "frame_decoder_fuzz.h"

#include "fuzz_property_error.h"
#include "ipc/frame_codec.h"
#include "ipc/ipc_errors.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

namespace forkscope {
namespace {

void require(bool condition, const char* promise) {
    if (!condition) {
        throw FuzzPropertyError(std::string("FrameCodec: ") + promise);
    }
}

/// Checks one codec (one length cap) against the input.
void checkCodec(const FrameCodec& codec, std::span<const std::uint8_t> bytes) {
    // Not a std::optional: GCC's -Wmaybe-uninitialized misreads one assigned inside a try block.
    enum class Result { Frame, Incomplete, Corrupted };
    Result result = Result::Corrupted;
    FrameCodec::Decoded d;
    try {
        if (const auto decoded = codec.decode(bytes)) {
            d = *decoded;
            result = Result::Frame;
        } else {
            result = Result::Incomplete;
        }
    } catch (const FrameCorruptedError&) {
        result = Result::Corrupted;
    }

    if (result == Result::Frame) {
        require(d.consumed == FrameCodec::kHeaderSize + d.payload.size(),
                "a decoded frame consumes its header and payload, nothing else");
        require(d.consumed <= bytes.size(), "a decoded frame lies inside the input");
        require(d.payload.data() == bytes.data() + FrameCodec::kHeaderSize || d.payload.empty(),
                "the payload is a view just after the header");
        require(d.payload.size() <= codec.maxLength(), "a decoded payload respects the length cap");
        const std::vector<std::uint8_t> again = codec.encode(d.payload);
        require(std::equal(again.begin(), again.end(), bytes.begin(),
                           bytes.begin() + static_cast<std::ptrdiff_t>(d.consumed)),
                "a decoded frame re-encodes to the bytes it came from");
    } else if (result == Result::Incomplete && bytes.size() >= FrameCodec::kHeaderSize) {
        // "Read more" is only honest if what is there is a valid header announcing more.
        FrameHeader header;
        try {
            header = codec.decodeHeader(bytes.first(FrameCodec::kHeaderSize));
        } catch (const FrameCorruptedError&) {
            require(false, "decode() asks for more bytes after a header that does not validate");
        }
        require(FrameCodec::kHeaderSize + header.length > bytes.size(),
                "decode() asks for more bytes although the whole frame is there");
    }

    // decodeComplete() treats the buffer as everything there is.
    try {
        const FrameCodec::Decoded whole = codec.decodeComplete(bytes);
        require(result == Result::Frame && whole.consumed == d.consumed,
                "decodeComplete() accepts exactly what decode() decodes");
    } catch (const FrameCorruptedError&) {
        require(result != Result::Frame, "decodeComplete() refuses a frame decode() accepted");
    }
}

} // namespace

int fuzzFrameDecoder(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    // The default cap and a small one, so that headers announcing lengths near the cap occur.
    checkCodec(FrameCodec(), bytes);
    checkCodec(FrameCodec(4096), bytes);

    // Round trip: any payload comes back unchanged, and a truncated frame is only ever incomplete.
    const FrameCodec codec;
    const std::vector<std::uint8_t> frame = codec.encode(bytes);
    const FrameCodec::Decoded decoded = codec.decodeComplete(frame);
    require(decoded.consumed == frame.size(), "an encoded frame decodes whole");
    require(std::equal(decoded.payload.begin(), decoded.payload.end(), bytes.begin(), bytes.end()),
            "an encoded payload decodes unchanged");
    const std::size_t cut = size == 0 ? 0 : data[0] % frame.size();
    require(!codec.decode(std::span(frame).first(cut)).has_value(),
            "a strict prefix of a valid frame is incomplete, not corrupted and not a frame");
    return 0;
}

} // namespace forkscope
