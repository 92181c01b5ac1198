#include "payload_checksum.h"

#include "bulk_sum_kernel.h"

#include <algorithm>
#include <array>
#include <cstring>

// Header-only use of libxxhash: the hash is inlined into the hot loop, and nothing is linked.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace forkscope {

namespace detail {
// payload_checksum_avx2.cpp: the same functions built for AVX2. The state layout and the
// results do not depend on the vector unit, so both builds can share a state.
std::uint64_t xxh3Avx2(const void* data, std::size_t size) noexcept;
void xxh3Avx2Update(XXH3_state_t* state, const void* data, std::size_t size) noexcept;
void bulkSumBlocksAvx2(BulkSumLanes& lanes, const std::uint8_t* data, std::size_t blocks) noexcept;
} // namespace detail

namespace {

const bool kAvx2 = __builtin_cpu_supports("avx2");

std::uint64_t xxh3(const void* data, std::size_t size) noexcept {
    return kAvx2 ? detail::xxh3Avx2(data, size) : XXH3_64bits(data, size);
}

void bulkSumBlocks(detail::BulkSumLanes& lanes, const std::uint8_t* data, std::size_t blocks) noexcept {
    if (kAvx2) {
        detail::bulkSumBlocksAvx2(lanes, data, blocks);
    } else {
        detail::bulkSumBlocksKernel(lanes, data, blocks);
    }
}

/// The bulk sum of a payload given piece by piece: whole 128-byte blocks go straight to the
/// loop, a partial block waits in `tail` for the next piece.
struct BulkSum {
    detail::BulkSumLanes lanes;
    std::array<std::uint8_t, detail::BulkSumLanes::kBlockBytes> tail{};
    std::size_t tailSize = 0;

    void update(const std::uint8_t* data, std::size_t size) noexcept {
        constexpr std::size_t kBlock = detail::BulkSumLanes::kBlockBytes;
        if (size == 0) {
            return; // an empty piece may come with a null pointer, which memcpy must not get
        }
        if (tailSize > 0) {
            const std::size_t take = std::min(size, kBlock - tailSize);
            std::memcpy(tail.data() + tailSize, data, take);
            tailSize += take;
            data += take;
            size -= take;
            if (tailSize < kBlock) {
                return;
            }
            bulkSumBlocks(lanes, tail.data(), 1);
            tailSize = 0;
        }
        bulkSumBlocks(lanes, data, size / kBlock);
        tailSize = size % kBlock;
        if (tailSize > 0) {
            std::memcpy(tail.data(), data + size - tailSize, tailSize);
        }
    }

    /// The last partial block counts as if padded with zeros; the length, which is hashed too,
    /// tells a payload from the same payload with zeros appended.
    [[nodiscard]] std::uint32_t value(std::uint64_t length) const noexcept {
        detail::BulkSumLanes last = lanes;
        if (tailSize > 0) {
            std::array<std::uint8_t, detail::BulkSumLanes::kBlockBytes> padded{};
            std::memcpy(padded.data(), tail.data(), tailSize);
            bulkSumBlocks(last, padded.data(), 1);
        }
        // What is hashed: the 16 a's, the 16 b's, the length (264 bytes, no padding).
        std::array<std::uint64_t, 2 * detail::BulkSumLanes::kLanes + 1> words{};
        std::memcpy(words.data(), last.a, sizeof last.a);
        std::memcpy(words.data() + detail::BulkSumLanes::kLanes, last.b, sizeof last.b);
        words.back() = length;
        return static_cast<std::uint32_t>(xxh3(words.data(), sizeof words));
    }
};

} // namespace

struct PayloadChecksum::State {
    XXH3_state_t xxh; // the most aligned first: no padding between the members
    BulkSum sum;
    std::uint64_t given = 0; ///< hashed with the sums: a payload cut short sums differently
    bool bulk = false;
};

PayloadChecksum::PayloadChecksum(std::uint64_t length) : state_(std::make_unique<State>()) {
    state_->bulk = length >= kBulkFrom;
    if (!state_->bulk) {
        XXH3_64bits_reset(&state_->xxh);
    }
}

PayloadChecksum::~PayloadChecksum() = default;

void PayloadChecksum::update(std::span<const std::uint8_t> bytes) noexcept {
    State& s = *state_;
    s.given += bytes.size();
    if (s.bulk) {
        s.sum.update(bytes.data(), bytes.size());
    } else if (kAvx2) {
        detail::xxh3Avx2Update(&s.xxh, bytes.data(), bytes.size());
    } else {
        XXH3_64bits_update(&s.xxh, bytes.data(), bytes.size());
    }
}

std::uint32_t PayloadChecksum::value() const noexcept {
    const State& s = *state_;
    return s.bulk ? s.sum.value(s.given) : static_cast<std::uint32_t>(XXH3_64bits_digest(&s.xxh));
}

std::uint32_t PayloadChecksum::of(std::span<const std::uint8_t> bytes) noexcept {
    if (bytes.size() < kBulkFrom) {
        return static_cast<std::uint32_t>(xxh3(bytes.data(), bytes.size()));
    }
    PayloadChecksum checksum(bytes.size());
    checksum.update(bytes);
    return checksum.value();
}

} // namespace forkscope
