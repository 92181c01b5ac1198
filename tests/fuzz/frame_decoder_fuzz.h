#pragma once

#include <cstddef>
#include <cstdint>

namespace forkscope {

/// Feeds `bytes` to FrameCodec as a stream prefix and as a whole buffer, and checks what the
/// codec promises beyond not crashing: only FrameCorruptedError comes out; decode() and
/// decodeComplete() agree; a decoded frame lies inside the input and re-encodes to exactly the
/// bytes it was decoded from; "incomplete" means a valid header announcing more than there is;
/// and any payload round-trips through encode(). A broken promise throws FuzzPropertyError.
/// The libFuzzer target is tests/fuzz/libfuzzer_entry.cpp.
int fuzzFrameDecoder(const std::uint8_t* data, std::size_t size);

} // namespace forkscope
