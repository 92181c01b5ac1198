#pragma once

// cereal's binary format, read from and written to bytes directly: the archives of every
// message (ipc/tagged_codec.h: Connection::send/recv and the queues' items), of a pool chunk's
// arguments and results, and of start arguments and the bootstrap a fresh image decodes.
// cereal::BinaryOutputArchive goes through std::ostream, so every int cost a virtual streambuf
// call and a vector insert (and the same on the way in): half of a default-chunksize map's time
// went there. These two are one inline memcpy per value, and write exactly what cereal's binary
// archives write (same layout, same size tags), so a type that serialises with cereal
// serialises here unchanged. They are a matched pair, one wire format, hence one header.

#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace forkscope::detail {

/// Appends cereal's binary encoding of each value to a byte vector. The vector grows ahead in
/// large steps and is cut back to what was written when the archive ends: growing it by four
/// bytes per int would zero-fill and bump its size through an out-of-line call every time.
class ByteOutputArchive : public cereal::OutputArchive<ByteOutputArchive, cereal::AllowEmptyClassElision> {
public:
    explicit ByteOutputArchive(std::vector<std::uint8_t>& out)
        : OutputArchive(this), out_(out), used_(out.size()) {}
    ByteOutputArchive(const ByteOutputArchive&) = delete;
    ByteOutputArchive& operator=(const ByteOutputArchive&) = delete;
    ~ByteOutputArchive() { out_.resize(used_); }

    [[gnu::always_inline]] void saveBinary(const void* data, std::size_t size) {
        if (out_.size() - used_ < size) [[unlikely]] {
            growFor(size);
        }
        if (size != 0) {
            std::memcpy(out_.data() + used_, data, size);
        }
        used_ += size;
    }

private:
    void growFor(std::size_t size);

    std::vector<std::uint8_t>& out_;
    std::size_t used_; ///< bytes of out_ that hold data; the rest is room grown ahead
};

/// Reads values in cereal's binary encoding from bytes owned elsewhere (a received frame).
/// Reading past the end throws cereal::Exception, as cereal's own archive does.
class ByteInputArchive : public cereal::InputArchive<ByteInputArchive, cereal::AllowEmptyClassElision> {
public:
    explicit ByteInputArchive(std::span<const std::uint8_t> in) : InputArchive(this), in_(in) {}

    [[gnu::always_inline]] void loadBinary(void* data, std::size_t size) {
        if (size > in_.size() - at_) [[unlikely]] {
            refuseTruncated(size);
        }
        if (size != 0) {
            std::memcpy(data, in_.data() + at_, size);
        }
        at_ += size;
    }

    /// Checks the element count of a string or container before cereal sizes it: every element
    /// takes at least one byte, so a count larger than the bytes left is corrupt — refused here
    /// rather than found by a resize to billions of elements (which would allocate and zero
    /// them, or abort a sanitizer build). The one type this refuses wrongly is a container of
    /// empty elements that cereal elides (zero bytes each) longer than what follows it.
    [[gnu::always_inline]] void checkElementCount(std::uint64_t count) const {
        if (count > in_.size() - at_) [[unlikely]] {
            refuseElementCount(count);
        }
    }

private:
    [[noreturn]] void refuseTruncated(std::size_t size) const;
    [[noreturn]] void refuseElementCount(std::uint64_t count) const;

    std::span<const std::uint8_t> in_;
    std::size_t at_ = 0;
};

// The rules of cereal/archives/binary.hpp, for these archives (found by argument-dependent
// lookup on the archive).

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_SAVE_FUNCTION_NAME(ByteOutputArchive& ar, const T& t) {
    ar.saveBinary(std::addressof(t), sizeof(t));
}

template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(ByteInputArchive& ar, T& t) {
    ar.loadBinary(std::addressof(t), sizeof(t));
}

template <class Archive, class T>
CEREAL_ARCHIVE_RESTRICT(ByteInputArchive, ByteOutputArchive)
CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& t) {
    ar(t.value);
}

template <class T> void CEREAL_SAVE_FUNCTION_NAME(ByteOutputArchive& ar, const cereal::SizeTag<T>& t) {
    ar(t.size);
}

template <class T> void CEREAL_LOAD_FUNCTION_NAME(ByteInputArchive& ar, cereal::SizeTag<T>& t) {
    ar(t.size);
    ar.checkElementCount(static_cast<std::uint64_t>(t.size));
}

template <class T> void CEREAL_SAVE_FUNCTION_NAME(ByteOutputArchive& ar, const cereal::BinaryData<T>& bd) {
    ar.saveBinary(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T> void CEREAL_LOAD_FUNCTION_NAME(ByteInputArchive& ar, cereal::BinaryData<T>& bd) {
    ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

/// `values` in cereal's binary format, as one byte vector: what a message, a start argument
/// and a bootstrap are encoded with (the archive has finished, and cut the vector to what it
/// wrote, when this returns).
template <class... T> [[nodiscard]] std::vector<std::uint8_t> encodeBytes(const T&... values) {
    std::vector<std::uint8_t> bytes;
    {
        ByteOutputArchive archive(bytes);
        archive(values...);
    }
    return bytes;
}

} // namespace forkscope::detail

CEREAL_REGISTER_ARCHIVE(forkscope::detail::ByteOutputArchive)
CEREAL_REGISTER_ARCHIVE(forkscope::detail::ByteInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(forkscope::detail::ByteInputArchive, forkscope::detail::ByteOutputArchive)
