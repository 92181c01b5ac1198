#include "byte_archives.h"

#include <algorithm>
#include <string>

namespace forkscope::detail {

void ByteOutputArchive::growFor(std::size_t size) {
    out_.resize(std::max(out_.size() * 2, used_ + size + 256));
}

void ByteInputArchive::refuseTruncated(std::size_t size) const {
    throw cereal::Exception("Failed to read " + std::to_string(size) + " bytes at offset " +
                            std::to_string(at_) + ": the encoded data ends after " +
                            std::to_string(in_.size()) + " bytes");
}

void ByteInputArchive::refuseElementCount(std::uint64_t count) const {
    throw cereal::Exception("a string or container at offset " + std::to_string(at_) + " declares " +
                            std::to_string(count) + " elements, but only " +
                            std::to_string(in_.size() - at_) + " bytes follow");
}

} // namespace forkscope::detail
