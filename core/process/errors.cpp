#include "errors.h"

#include <cstring>

namespace forkscope {

OsError::OsError(const std::string& what, int err)
    : std::runtime_error(what + ": " + std::strerror(err)), code_(err) {}

} // namespace forkscope
