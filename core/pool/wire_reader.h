#pragma once

#include "process/errors.h"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace forkscope::detail {

/// The pool's private frames are built in and parsed from plain byte vectors: both ends are on
/// this machine and run the same binary, so integers travel in host order.
using Bytes = std::vector<std::uint8_t>;

template <class T> void putRaw(Bytes& out, T value) {
    const std::size_t at = out.size();
    out.resize(at + sizeof value);
    std::memcpy(out.data() + at, &value, sizeof value);
}

inline void putText(Bytes& out, std::string_view text) {
    putRaw(out, static_cast<std::uint32_t>(text.size()));
    out.insert(out.end(), text.begin(), text.end());
}

/// Reserves the u32 length of a frame; finishFrame() fills it in once the body is written, so a
/// body can be encoded straight into the output buffer without a copy.
inline std::size_t beginFrame(Bytes& out) {
    const std::size_t at = out.size();
    putRaw<std::uint32_t>(out, 0);
    return at;
}

inline void finishFrame(Bytes& out, std::size_t at) {
    const auto length = static_cast<std::uint32_t>(out.size() - at - sizeof(std::uint32_t));
    std::memcpy(out.data() + at, &length, sizeof length);
}

/// Reads the fields of one frame, refusing to run past its end.
class WireReader {
public:
    explicit WireReader(std::span<const std::uint8_t> data) : data_(data) {}

    template <class T> T raw() {
        need(sizeof(T));
        T value;
        std::memcpy(&value, data_.data() + pos_, sizeof value);
        pos_ += sizeof value;
        return value;
    }
    std::span<const std::uint8_t> bytes(std::size_t size) {
        need(size);
        auto span = data_.subspan(pos_, size);
        pos_ += size;
        return span;
    }
    std::string text() {
        auto span = bytes(raw<std::uint32_t>());
        return {span.begin(), span.end()};
    }
    std::span<const std::uint8_t> rest() {
        auto span = data_.subspan(pos_);
        pos_ = data_.size();
        return span;
    }

private:
    void need(std::size_t size) const {
        if (data_.size() - pos_ < size) {
            throw SerializationError("pool frame truncated: needed " + std::to_string(size) +
                                     " more bytes at offset " + std::to_string(pos_) + " of " +
                                     std::to_string(data_.size()));
        }
    }
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

} // namespace forkscope::detail
