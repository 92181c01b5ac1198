#pragma once
// The inner loop of the bulk payload sum (PayloadChecksum), included by exactly two files:
// payload_checksum.cpp (the baseline build) and payload_checksum_avx2.cpp (built with -mavx2).
// It is `static` on purpose: an inline function compiled with two instruction sets would be one
// symbol to the linker, which could then keep the AVX2 copy for a machine without AVX2.

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace forkscope::detail {

/// Sixteen 64-bit lanes, each with a running sum `a` of its words and a running sum `b` of the
/// `a`s (Fletcher's two sums, modulo 2^64): a word's contribution to `b` depends on how far from
/// the end it is, so a payload whose bytes moved, went missing or came from another writer sums
/// differently even when it holds the same words.
struct BulkSumLanes {
    static constexpr std::size_t kLanes = 16;
    static constexpr std::size_t kBlockBytes = kLanes * sizeof(std::uint64_t); // 128
    alignas(32) std::uint64_t a[kLanes]{};
    alignas(32) std::uint64_t b[kLanes]{};
};

// Four 64-bit words: one AVX2 register, or two SSE2 registers in the baseline build.
using BulkSumVector = std::uint64_t __attribute__((vector_size(32)));

// Adds the four words at `data` to `sum` (by reference: a 32-byte vector passed or returned by
// value would take a different ABI in the baseline build).
[[gnu::always_inline]] static inline void addBulkSumWords(BulkSumVector& sum, const void* data) noexcept {
    BulkSumVector words;
    std::memcpy(&words, data, sizeof words);
    sum += words;
}

[[gnu::always_inline]] static inline void bulkSumBlocksKernel(BulkSumLanes& lanes, const std::uint8_t* data,
                                                              std::size_t blocks) noexcept {
    // Four independent pairs of chains, so the adds of one block do not wait for each other.
    // Named one by one: as an array indexed in a loop, GCC keeps them in memory, not registers.
    BulkSumVector a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
    addBulkSumWords(a0, lanes.a);
    addBulkSumWords(a1, lanes.a + 4);
    addBulkSumWords(a2, lanes.a + 8);
    addBulkSumWords(a3, lanes.a + 12);
    addBulkSumWords(b0, lanes.b);
    addBulkSumWords(b1, lanes.b + 4);
    addBulkSumWords(b2, lanes.b + 8);
    addBulkSumWords(b3, lanes.b + 12);
    for (std::size_t block = 0; block < blocks; ++block, data += BulkSumLanes::kBlockBytes) {
        addBulkSumWords(a0, data);
        addBulkSumWords(a1, data + 32);
        addBulkSumWords(a2, data + 64);
        addBulkSumWords(a3, data + 96);
        b0 += a0;
        b1 += a1;
        b2 += a2;
        b3 += a3;
    }
    std::memcpy(lanes.a, &a0, sizeof a0);
    std::memcpy(lanes.a + 4, &a1, sizeof a1);
    std::memcpy(lanes.a + 8, &a2, sizeof a2);
    std::memcpy(lanes.a + 12, &a3, sizeof a3);
    std::memcpy(lanes.b, &b0, sizeof b0);
    std::memcpy(lanes.b + 4, &b1, sizeof b1);
    std::memcpy(lanes.b + 8, &b2, sizeof b2);
    std::memcpy(lanes.b + 12, &b3, sizeof b3);
}

} // namespace forkscope::detail
