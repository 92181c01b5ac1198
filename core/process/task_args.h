#pragma once

#include "byte_archives.h"
#include "errors.h"
#include "events/emit.h"
#include "fd_table.h"
#include "type_name.h"

#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace forkscope {

/// One argument in its serialised form, as it travels in a spawn/forkserver bootstrap.
struct SerializedArg {
    std::string name;
    std::string typeId;             ///< typeid(T).name(): the same binary on both sides, so it must match
    std::vector<std::uint8_t> blob; ///< the value in cereal's binary format (byte_archives.h)

    template <class Archive> void serialize(Archive& ar) { ar(name, typeId, blob); }
};

namespace detail {
// std::conjunction stops at the first false, so cereal's traits are never instantiated for raw
// pointers (cereal static_asserts on them instead of answering "no").
template <class T>
constexpr bool isCerealSerializable =
    std::conjunction_v<std::negation<std::is_pointer<T>>, std::negation<std::is_member_pointer<T>>,
                       cereal::traits::is_output_serializable<T, ByteOutputArchive>,
                       cereal::traits::is_input_serializable<T, ByteInputArchive>>;

/// The same archives as every message's (tagged_codec.h), so a type that can travel through a
/// Queue can be a start argument too, and the other way round.
template <class T> std::vector<std::uint8_t> saveBlob(const void* value) {
    return encodeBytes(*static_cast<const T*>(value));
}

template <class T> std::string whyNotSerializable() {
    if constexpr (std::is_pointer_v<T> || std::is_member_pointer_v<T>) {
        return "a raw pointer refers to this process's memory, which a fresh program image does not have";
    } else if constexpr (std::is_function_v<std::remove_pointer_t<T>>) {
        return "a function pointer is an address in this image; register the function as a task instead";
    } else {
        return "the type has no cereal serialize()/save()/load() function visible where the argument was "
               "made";
    }
}
} // namespace detail

/// A process argument: any value under fork (it is inherited with the memory), and a
/// cereal-serialisable value (or a handle) under spawn and forkserver. Whether it can be
/// serialised is decided when the argument is made, so start() can name the culprit, like
/// Python's pickling error does.
class Arg {
public:
    template <class T>
    requires(!std::is_same_v<std::decay_t<T>, Arg>) Arg(T&& value)
        : Arg(std::string(), std::forward<T>(value)) {} // NOLINT(google-explicit-constructor)

    Arg(const char* text) : Arg(std::string(), std::string(text)) {} // NOLINT(google-explicit-constructor)

    template <class T> Arg(std::string name, T&& value) : name_(std::move(name)) {
        using V = std::decay_t<T>;
        type_ = &typeid(V);
        value_ = std::make_shared<V>(std::forward<T>(value));
        if constexpr (detail::isCerealSerializable<V>) {
            save_ = &detail::saveBlob<V>;
        } else {
            whyNot_ = detail::whyNotSerializable<V>();
        }
    }

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::type_info& type() const noexcept { return *type_; }
    [[nodiscard]] bool serializable() const noexcept { return save_ != nullptr; }
    [[nodiscard]] void* pointer() const noexcept { return value_.get(); }

    /// Serialises the value; `position` and `method` only serve the error message.
    [[nodiscard]] SerializedArg serialize(std::size_t position, std::string_view method) const;

private:
    std::string name_;
    const std::type_info* type_ = nullptr;
    std::shared_ptr<void> value_;
    std::vector<std::uint8_t> (*save_)(const void*) = nullptr;
    std::string whyNot_;
};

/// Makes a named argument, so errors and tools can say "argument 'lock'".
template <class T> [[nodiscard]] Arg named(std::string name, T&& value) {
    return Arg(std::move(name), std::forward<T>(value));
}

using Args = std::vector<Arg>;

/// What a task receives: the arguments in memory (fork) or decoded from the bootstrap
/// (spawn, forkserver). get<T>(i) checks the type either way.
class TaskArgs {
public:
    TaskArgs() = default;
    static TaskArgs fromMemory(Args args);
    static TaskArgs fromSerialized(std::vector<SerializedArg> args, FdTable fds);

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] std::string name(std::size_t index) const;

    template <class T> [[nodiscard]] T& get(std::size_t index) {
        checkIndex(index);
        if (!serialized_) {
            const Arg& arg = memory_[index];
            if (arg.type() != typeid(T)) {
                throwTypeMismatch(index, demangledName(arg.type()), typeName<T>());
            }
            return *static_cast<T*>(arg.pointer());
        }
        if (!decoded_[index]) {
            const SerializedArg& arg = (*serialized_)[index];
            if (arg.typeId != typeid(T).name()) {
                throwTypeMismatch(index, arg.typeId, typeName<T>());
            }
            if constexpr (detail::isCerealSerializable<T>) {
                // The default-constructed placeholder (and whatever cereal constructs while
                // loading) is overwritten by the handle that arrived: it registers no trace object.
                decoded_[index] = trace::withoutRegistration([&] {
                    auto value = std::make_shared<T>();
                    FdTable::Scope scope(fds_);
                    detail::ByteInputArchive archive(arg.blob);
                    archive(*value);
                    return value;
                });
            } else {
                throwTypeMismatch(index, arg.typeId, typeName<T>() + " (not serialisable)");
            }
        }
        return *static_cast<T*>(decoded_[index].get());
    }

private:
    void checkIndex(std::size_t index) const;
    [[noreturn]] void throwTypeMismatch(std::size_t index, const std::string& have,
                                        const std::string& want) const;

    Args memory_;
    std::shared_ptr<std::vector<SerializedArg>> serialized_;
    std::vector<std::shared_ptr<void>> decoded_;
    FdTable fds_;
};

} // namespace forkscope
