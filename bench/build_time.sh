#!/usr/bin/env bash
# What the main job waits for on a fresh machine: the binary and its plugins (target scoregen_cli) built from scratch
# in Release, as combined units (SCOREGEN_UNITY=ON, the default; they skip the precompiled header) and file by file
# (with the precompiled header), each in a new build folder, one after the other in this run. Prints seconds and the ratio. About 11 minutes on 2 cores.
#   bench/build_time.sh [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build() {  # SCOREGEN_UNITY value -> seconds of configure + build
  local start=$SECONDS
  cmake -S . -B "$tmp/$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_UNITY="$1" -DSCOREGEN_BUILD_TESTS=OFF \
        -DSCOREGEN_BUILD_BENCH=OFF > /dev/null
  cmake --build "$tmp/$1" -j "$jobs" --target scoregen_cli > /dev/null
  echo $((SECONDS - start))
}
unity=$(build ON)
plain=$(build OFF)
echo "| binary and plugins from scratch ($jobs jobs) | seconds |"
echo "|---|---|"
echo "| combined units (SCOREGEN_UNITY=ON) | $unity |"
echo "| file by file (SCOREGEN_UNITY=OFF) | $plain |"
awk "BEGIN { printf \"| file by file / combined | %.1fx |\n\", $plain / $unity }"
