#!/usr/bin/env bash
# Builds the .deb: an optimised build for prefix /usr (the scenario directory compiled into the
# binaries is /usr/share/forkscope/scenarios), then CPack. Prints the package's path.
#   bash packaging/build-deb.sh     -> build/deb/forkscope_<version>_<arch>.deb
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build/deb
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DFORKSCOPE_BUILD_TESTS=OFF -DFORKSCOPE_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/forkscope_*.deb
