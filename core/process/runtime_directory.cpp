#include "runtime_directory.h"

#include <cstdlib>
#include <unistd.h>

namespace forkscope {

std::string runtimeDirectoryBase() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    if (xdg != nullptr && *xdg == '/' && ::access(xdg, W_OK) == 0) {
        return xdg;
    }
    const char* tmp = std::getenv("TMPDIR");
    return (tmp != nullptr && *tmp == '/') ? tmp : "/tmp";
}

} // namespace forkscope
