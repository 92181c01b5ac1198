#!/usr/bin/env bash
# The README's two quick-start commands:
#   bash packaging/devenv.sh run    install what is missing, build, start the app
#   bash packaging/devenv.sh test   install what is missing, build, run the whole test suite
#                                   under ASan+UBSan (CI runs this); `test dev` runs it on the
#                                   plain debug build (faster), `test tsan` under ThreadSanitizer
# Idempotent: packages already installed are not touched, an existing build is reused.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
mode=${1:-}
shift || true

case "$mode" in
run | test) ;;
*)
  echo "usage: bash packaging/devenv.sh run|test [arguments for the app when running]" >&2
  exit 2
  ;;
esac

install_missing() {
  local missing=()
  local pkg
  while read -r pkg; do
    [[ -z $pkg || $pkg == \#* ]] && continue
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done <"$here/debian-build-deps.txt"
  if ((${#missing[@]} > 0)); then
    echo "devenv: installing ${missing[*]}" >&2
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

build() {
  local preset=$1
  cd "$top"
  if [[ ! -f build/$preset/CMakeCache.txt ]]; then
    cmake --preset "$preset"
  fi
  cmake --build --preset "$preset" -j "$(nproc)"
}

install_missing
if [[ $mode == run ]]; then
  build release
  # The desktop app (it finds forkscope-cli, its session host, next to itself).
  exec "$top/build/release/app/gui/forkscope" "$@"
else
  preset=${1:-asan}
  case "$preset" in
  dev | asan | tsan) ;;
  *)
    echo "devenv: unknown test preset '$preset' (dev, asan or tsan)" >&2
    exit 2
    ;;
  esac
  build "$preset"
  cd "$top"
  # Serial on purpose: each test checks that /dev/shm and the process table are as it found them.
  exec ctest --preset "$preset"
fi
