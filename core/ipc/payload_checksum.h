#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace forkscope {

/// The checksum a frame carries over its payload, 32 bits.
///
/// It is there to catch payloads whose bytes came from two writers (frames over PIPE_BUF are not
/// written atomically): another writer's bytes spliced in, ours shifted or cut short. This is not
/// about an adversary (the peer is our own process tree) nor about flipped bits (a local pipe does
/// not flip them), and it is paid twice on every large message, once by each side, on CPUs that
/// are both busy copying. So it is picked by size:
/// - below kBulkFrom bytes: the low 32 bits of XXH3-64 (xxHash), whose short-input paths are the
///   fastest there is;
/// - from kBulkFrom bytes on: Fletcher's two running sums over 16 lanes of 64-bit words (each word
///   weighted by its distance from the end, so moved or foreign bytes change the sums), finished
///   by XXH3 over the 32 sums and the length. It does two vector adds per 32 bytes where XXH3
///   does about seven operations: 14–15 against 26–29 µs over a MiB in the cache, paid by both
///   sides (docs/ipc.md has the definition, docs/performance.md what it changed).
/// It is computed incrementally, so a reader sums each piece while it is still in the cache; the
/// length must be known up front (a frame header announces it).
class PayloadChecksum {
public:
    static constexpr std::size_t kBulkFrom = 4096;

    /// For a payload of exactly `length` bytes, given to update() in any number of pieces.
    explicit PayloadChecksum(std::uint64_t length);
    ~PayloadChecksum();
    PayloadChecksum(const PayloadChecksum&) = delete;
    PayloadChecksum& operator=(const PayloadChecksum&) = delete;

    void update(std::span<const std::uint8_t> bytes) noexcept;
    /// The checksum, once all `length` bytes were given (what was given, otherwise: a short
    /// payload then sums differently from the whole, as it should).
    [[nodiscard]] std::uint32_t value() const noexcept;

    /// The checksum of one buffer.
    [[nodiscard]] static std::uint32_t of(std::span<const std::uint8_t> bytes) noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace forkscope
