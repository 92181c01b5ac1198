#pragma once

#include <string>
#include <typeinfo>

namespace forkscope {

/// The readable (demangled) name of a type, for error messages.
[[nodiscard]] std::string demangledName(const std::type_info& type);
/// The readable name for a mangled one (as typeid(T).name() returns), or the input itself.
[[nodiscard]] std::string demangledName(const char* mangled);

template <class T> [[nodiscard]] std::string typeName() {
    return demangledName(typeid(T));
}

} // namespace forkscope
