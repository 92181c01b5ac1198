#include "type_name.h"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>

namespace forkscope {

std::string demangledName(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

} // namespace forkscope
