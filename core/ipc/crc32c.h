#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace forkscope {

/// CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and SCTP. It detects every burst error of
/// up to 32 bits and, unlike a plain sum, any reordering of chunks, which is exactly what
/// interleaved writes produce. x86-64 CPUs with SSE4.2 compute it in hardware (several GB/s,
/// so framing a 1 MiB message costs little next to copying it through the kernel); elsewhere a
/// slicing-by-8 table is used. Both give the same values.
class Crc32c {
public:
    /// The CRC of `data`, continuing from `crc` (the value returned for the preceding bytes;
    /// 0 to start).
    [[nodiscard]] static std::uint32_t compute(std::span<const std::uint8_t> data,
                                               std::uint32_t crc = 0) noexcept;
    /// The portable table-driven path, exposed so tests can check it against the hardware one.
    [[nodiscard]] static std::uint32_t computeSoftware(std::span<const std::uint8_t> data,
                                                       std::uint32_t crc = 0) noexcept;
    /// Whether compute() uses the CPU's crc32 instruction.
    [[nodiscard]] static bool hardwareAccelerated() noexcept;
};

} // namespace forkscope
