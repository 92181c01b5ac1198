#include "crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace forkscope {

namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u; // Castagnoli, reflected

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables makeTables() {
    Tables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
        }
        t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
        for (std::size_t s = 1; s < 8; ++s) {
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
        }
    }
    return t;
}

constexpr Tables kTables = makeTables();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t computeHardware(const std::uint8_t* p, std::size_t n,
                                                                std::uint32_t crc) noexcept {
    std::uint64_t c = ~crc;
    while (n > 0 && (reinterpret_cast<std::uintptr_t>(p) & 7u) != 0) {
        c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
        --n;
    }
    while (n >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
        --n;
    }
    return ~static_cast<std::uint32_t>(c);
}

bool detectHardware() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2") != 0;
}
#else
bool detectHardware() noexcept {
    return false;
}
#endif

const bool kHardware = detectHardware();

} // namespace

std::uint32_t Crc32c::computeSoftware(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
    std::uint32_t c = ~crc;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        std::uint32_t lo = 0;
        std::uint32_t hi = 0;
        std::memcpy(&lo, p, 4); // little-endian hosts only; see the static_assert below
        std::memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
            kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
            kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFFu];
        --n;
    }
    return ~c;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the slicing-by-8 CRC assumes a little-endian host");

std::uint32_t Crc32c::compute(std::span<const std::uint8_t> data, std::uint32_t crc) noexcept {
#if defined(__x86_64__)
    if (kHardware) {
        return computeHardware(data.data(), data.size(), crc);
    }
#endif
    return computeSoftware(data, crc);
}

bool Crc32c::hardwareAccelerated() noexcept {
    return kHardware;
}

} // namespace forkscope
