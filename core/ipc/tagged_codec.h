#pragma once

#include "process/byte_archives.h"
#include "process/errors.h"
#include "process/type_name.h"

#include <cereal/types/string.hpp>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

namespace forkscope {

/// How a Connection or a queue turns one object into one message and back: cereal binary,
/// preceded by the type's name, so that receiving it as another type is a clear error instead
/// of garbage (the same binary sits on both ends, so typeid names match). The archives write
/// straight into (and read straight from) the message's bytes: no stream, no copies.
namespace tagged {

template <class T> [[nodiscard]] std::vector<std::uint8_t> encode(const T& object) {
    // The tag as cereal writes a std::string (a 64-bit length, then the characters), without
    // building one.
    const char* tag = typeid(T).name();
    const auto length = static_cast<std::uint64_t>(std::strlen(tag));
    return detail::encodeBytes(cereal::make_size_tag(length), cereal::binary_data(tag, length), object);
}

/// `where()` names the receiving side in errors ("recv<int> on connection fd 7"); it is only
/// called for an error, so building it costs nothing on the way of every message.
template <class T, class Where>
[[nodiscard]] T decode(std::span<const std::uint8_t> payload, const Where& where) {
    auto cannotDecode = [&](const std::string& why) {
        return SerializationError(where() + ": the message cannot be decoded as " + typeName<T>() + " (" +
                                  why + ")");
    };
    // A corrupt length in front of a string or a container is refused by the archive before
    // anything is sized; one of large elements can still ask for more than memory allows.
    const char* tooLarge = "it declares a string or container longer than memory allows";
    T value{};
    try {
        detail::ByteInputArchive archive(payload);
        std::string tag;
        archive(tag);
        if (tag != typeid(T).name()) {
            throw SerializationError(where() + ": the message holds another type (" +
                                     demangledName(tag.c_str()) + ")");
        }
        archive(value);
    } catch (const cereal::Exception& e) {
        throw cannotDecode(e.what());
    } catch (const std::length_error&) {
        throw cannotDecode(tooLarge);
    } catch (const std::bad_alloc&) {
        throw cannotDecode(tooLarge);
    }
    return value;
}

} // namespace tagged
} // namespace forkscope
