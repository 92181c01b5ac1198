#!/usr/bin/env bash
# Runs each libFuzzer target (tests/fuzz) for SECONDS (default 30), starting from the committed
# corpus, with AddressSanitizer and UndefinedBehaviorSanitizer. Installs clang if it is missing.
#   bash packaging/fuzz.sh [SECONDS] [TARGET...]     targets: frame_decoder scenario_loader trace_reader
# New corpus entries go to build/fuzz/corpus/<target> (not the committed corpus); a crash leaves
# build/fuzz/crash-<target>-* and makes the script exit 1. Add a fixed crash's input to
# tests/fuzz/corpus/<target>/ so that tst_fuzz_replay keeps checking it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
((${#targets[@]} > 0)) || targets=(frame_decoder scenario_loader trace_reader)

if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: bash packaging/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi

missing=()
for pkg in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "fuzz: installing ${missing[*]}" >&2
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build=$top/build/fuzz
if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFORKSCOPE_FUZZ=ON -DFORKSCOPE_SANITIZE=address,undefined
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

status=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s" >&2
  # -rss_limit_mb: the trace reader opens SQLite images; -max_len covers the committed traces.
  if ! (cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "./tests/fuzz/fuzz_$target" "$corpus" "$top/tests/fuzz/corpus/$target" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$build/crash-$target-" -print_final_stats=1 2>&1 | tee "$build/$target.log" | tail -n 25); then
    status=1
  fi
  if grep -qE '^==[0-9]+==ERROR|deadly signal|Test unit written' "$build/$target.log"; then
    status=1
  fi
done
exit $status
