#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace forkscope {

/// The mutations a fuzzer starts with (bit flips, interesting bytes and integers, block
/// deletion, duplication, insertion and crossover, truncation), driven by a fixed seed so that the
/// replay test is the same run every time and a failure names the iteration that reproduces it.
class InputMutator {
public:
    explicit InputMutator(std::uint64_t seed) : rng_(seed) {}

    /// A mutant of `input`, with `other` (another corpus entry) as crossover material.
    [[nodiscard]] std::vector<std::uint8_t> mutate(const std::vector<std::uint8_t>& input,
                                                   const std::vector<std::uint8_t>& other);
    /// Random bytes, up to `maxSize`.
    [[nodiscard]] std::vector<std::uint8_t> randomBytes(std::size_t maxSize);

private:
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }
    void mutateOnce(std::vector<std::uint8_t>& bytes, const std::vector<std::uint8_t>& other);

    std::mt19937_64 rng_;
};

} // namespace forkscope
