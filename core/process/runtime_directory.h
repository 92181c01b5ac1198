#pragma once

#include <string>

namespace forkscope {

/// Where private per-run directories (forkserver and manager sockets) are made:
/// $XDG_RUNTIME_DIR if usable, else $TMPDIR, else /tmp.
[[nodiscard]] std::string runtimeDirectoryBase();

} // namespace forkscope
