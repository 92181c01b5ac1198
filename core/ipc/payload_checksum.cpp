#include "payload_checksum.h"

// Header-only use of libxxhash: the hash is inlined into the hot loop, and nothing is linked.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace forkscope {

namespace detail {
// payload_checksum_avx2.cpp: the same functions built for AVX2. The state layout and the
// result do not depend on the vector unit, so both builds can share a state.
std::uint64_t xxh3Avx2(const void* data, std::size_t size) noexcept;
void xxh3Avx2Update(XXH3_state_t* state, const void* data, std::size_t size) noexcept;
} // namespace detail

namespace {
const bool kAvx2 = __builtin_cpu_supports("avx2");
} // namespace

struct PayloadChecksum::State {
    XXH3_state_t xxh;
};

PayloadChecksum::PayloadChecksum() : state_(std::make_unique<State>()) {
    XXH3_64bits_reset(&state_->xxh);
}

PayloadChecksum::~PayloadChecksum() = default;

void PayloadChecksum::update(std::span<const std::uint8_t> bytes) noexcept {
    if (kAvx2) {
        detail::xxh3Avx2Update(&state_->xxh, bytes.data(), bytes.size());
    } else {
        XXH3_64bits_update(&state_->xxh, bytes.data(), bytes.size());
    }
}

std::uint32_t PayloadChecksum::value() const noexcept {
    return static_cast<std::uint32_t>(XXH3_64bits_digest(&state_->xxh));
}

std::uint32_t PayloadChecksum::of(std::span<const std::uint8_t> bytes) noexcept {
    const std::uint64_t hash =
        kAvx2 ? detail::xxh3Avx2(bytes.data(), bytes.size()) : XXH3_64bits(bytes.data(), bytes.size());
    return static_cast<std::uint32_t>(hash);
}

} // namespace forkscope
