#!/usr/bin/env bash
# Builds the .deb: the release preset's optimisation (RelWithDebInfo; CPack strips the symbols)
# for prefix /usr, so the scenario directory compiled into the binaries is
# /usr/share/forkscope/scenarios; then CPack. Warnings do not fail a packager's build (another
# compiler may warn differently); the dev preset is where -Werror holds. Prints the .deb's path.
#   bash packaging/build-deb.sh     -> build/deb/forkscope_<version>_<arch>.deb
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build/deb
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DFORKSCOPE_BUILD_TESTS=OFF -DFORKSCOPE_WERROR=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/forkscope_*.deb
