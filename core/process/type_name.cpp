#include "type_name.h"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>

namespace forkscope {

std::string demangledName(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(mangled, nullptr, nullptr, &status),
                                                     &std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

std::string demangledName(const std::type_info& type) {
    return demangledName(type.name());
}

} // namespace forkscope
