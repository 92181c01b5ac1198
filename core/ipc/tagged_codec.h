#pragma once

#include "process/errors.h"
#include "process/type_name.h"

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cstdint>
#include <span>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

namespace forkscope {

/// How a Connection or a queue turns one object into one message and back: cereal binary,
/// preceded by the type's name, so that receiving it as another type is a clear error instead
/// of garbage (the same binary sits on both ends, so typeid names match).
namespace tagged {

template <class T> [[nodiscard]] std::vector<std::uint8_t> encode(const T& object) {
    std::ostringstream out;
    {
        cereal::BinaryOutputArchive archive(out);
        archive(std::string(typeid(T).name()), object);
    }
    const std::string bytes = std::move(out).str();
    return {bytes.begin(), bytes.end()};
}

/// `where` names the receiving side in errors ("recv<int> on connection fd 7").
template <class T> [[nodiscard]] T decode(std::span<const std::uint8_t> payload, const std::string& where) {
    std::istringstream in(std::string(payload.begin(), payload.end()));
    std::string tag;
    T value{};
    try {
        cereal::BinaryInputArchive archive(in);
        archive(tag);
        if (tag != typeid(T).name()) {
            throw SerializationError(where + ": the message holds another type (" +
                                     demangledName(tag.c_str()) + ")");
        }
        archive(value);
    } catch (const cereal::Exception& e) {
        throw SerializationError(where + ": the message cannot be decoded as " + typeName<T>() + " (" +
                                 e.what() + ")");
    }
    return value;
}

} // namespace tagged
} // namespace forkscope
