#include "input_mutator.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace forkscope {

std::vector<std::uint8_t> InputMutator::mutate(const std::vector<std::uint8_t>& input,
                                               const std::vector<std::uint8_t>& other) {
    std::vector<std::uint8_t> bytes = input;
    // Mostly one edit (so a mutant stays close to a valid input and gets past the first checks),
    // sometimes a burst.
    const std::size_t edits = below(4) == 0 ? 1 + below(16) : 1;
    for (std::size_t i = 0; i < edits; ++i) {
        mutateOnce(bytes, other);
    }
    return bytes;
}

std::vector<std::uint8_t> InputMutator::randomBytes(std::size_t maxSize) {
    std::vector<std::uint8_t> bytes(below(maxSize + 1));
    for (auto& b : bytes) {
        b = static_cast<std::uint8_t>(rng_());
    }
    return bytes;
}

void InputMutator::mutateOnce(std::vector<std::uint8_t>& bytes, const std::vector<std::uint8_t>& other) {
    static constexpr std::array<std::uint8_t, 12> kBytes = {0x00, 0x01, 0x7f, 0x80, 0xff, '"',
                                                            '{',  '}',  '[',  ']',  ',',  ':'};
    static constexpr std::array<std::uint64_t, 8> kIntegers = {
        0, 1, 0x7f, 0xffff, 0x7fffffff, 0xffffffff, 0x7fffffffffffffff, 0xffffffffffffffff};
    switch (below(9)) {
    case 0: // flip a bit
        if (!bytes.empty()) {
            bytes[below(bytes.size())] ^= static_cast<std::uint8_t>(1U << below(8));
        }
        break;
    case 1: // an interesting byte
        if (!bytes.empty()) {
            bytes[below(bytes.size())] = kBytes[below(kBytes.size())];
        }
        break;
    case 2: // a random byte
        if (!bytes.empty()) {
            bytes[below(bytes.size())] = static_cast<std::uint8_t>(rng_());
        }
        break;
    case 3: { // an interesting integer (lengths, counts), little-endian, 1 to 8 bytes wide
        if (bytes.empty()) {
            break;
        }
        const std::uint64_t value = kIntegers[below(kIntegers.size())];
        const std::size_t at = below(bytes.size());
        const std::size_t width = std::min<std::size_t>(1 + below(8), bytes.size() - at);
        std::memcpy(bytes.data() + at, &value, width);
        break;
    }
    case 4: { // delete a block
        if (bytes.empty()) {
            break;
        }
        const std::size_t at = below(bytes.size());
        const std::size_t n = 1 + below(std::min<std::size_t>(bytes.size() - at, 64));
        bytes.erase(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(at + n));
        break;
    }
    case 5: { // duplicate a block in place
        if (bytes.empty()) {
            break;
        }
        const std::size_t at = below(bytes.size());
        const std::size_t n = 1 + below(std::min<std::size_t>(bytes.size() - at, 64));
        const std::vector<std::uint8_t> block(bytes.begin() + static_cast<long>(at),
                                              bytes.begin() + static_cast<long>(at + n));
        bytes.insert(bytes.begin() + static_cast<long>(at), block.begin(), block.end());
        break;
    }
    case 6: { // insert random bytes
        const std::size_t at = below(bytes.size() + 1);
        std::vector<std::uint8_t> block(1 + below(16));
        for (auto& b : block) {
            b = static_cast<std::uint8_t>(rng_());
        }
        bytes.insert(bytes.begin() + static_cast<long>(at), block.begin(), block.end());
        break;
    }
    case 7: { // crossover: splice in a block of another input
        if (other.empty()) {
            break;
        }
        const std::size_t from = below(other.size());
        const std::size_t n = 1 + below(std::min<std::size_t>(other.size() - from, 256));
        const std::size_t at = below(bytes.size() + 1);
        bytes.insert(bytes.begin() + static_cast<long>(at), other.begin() + static_cast<long>(from),
                     other.begin() + static_cast<long>(from + n));
        break;
    }
    default: // truncate
        bytes.resize(below(bytes.size() + 1));
        break;
    }
}

} // namespace forkscope
