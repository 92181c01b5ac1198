#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace forkscope {

/// The checksum a frame carries over its payload: the low 32 bits of XXH3-64 (xxHash).
///
/// It is there to catch payloads whose bytes came from two writers (frames over PIPE_BUF are not
/// written atomically). A CRC-32C was the first choice, but at 6–8 GB/s it halved the throughput
/// of 1 MiB messages; XXH3 runs at memory speed and detects such splices just as well (this is
/// not about an adversary: the peer is our own process tree). It is computed incrementally, so a
/// reader sums each piece while it is still in the cache.
class PayloadChecksum {
public:
    PayloadChecksum();
    ~PayloadChecksum();
    PayloadChecksum(const PayloadChecksum&) = delete;
    PayloadChecksum& operator=(const PayloadChecksum&) = delete;

    void update(std::span<const std::uint8_t> bytes) noexcept;
    [[nodiscard]] std::uint32_t value() const noexcept;

    /// The checksum of one buffer.
    [[nodiscard]] static std::uint32_t of(std::span<const std::uint8_t> bytes) noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace forkscope
