#!/usr/bin/env bash
# Installs scoregen's build and runtime dependencies from Debian (idempotent) and builds it in Release.
#   scripts/setup.sh            install packages (as root, or through sudo) and build everything into ./build
#   scripts/setup.sh TARGET...  the same, building only those targets (scoregen_cli: the binary and its plugins)
#   BUILD_DIR=... JOBS=... SCOREGEN_PCH=OFF SCOREGEN_UNITY=OFF scripts/setup.sh
#     (PCH OFF: every file compiles with its own includes; UNITY OFF: file by file, not as combined units)
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(cmake ninja-build g++ pkg-config
          libtorch-dev libgloo-dev libcxxopts-dev libboost-dev libopencv-dev libfmt-dev libtomlplusplus-dev libgtest-dev zlib1g-dev
          libopenblas0-pthread dataset-fashion-mnist python3-torch python3-numpy strace libssl-dev zsh)
started=$SECONDS
scripts/install-packages.sh "${PACKAGES[@]}"
packages=$((SECONDS - started))
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_PCH="${SCOREGEN_PCH:-ON}" \
      -DSCOREGEN_UNITY="${SCOREGEN_UNITY:-ON}" > /dev/null
configured=$((SECONDS - started - packages))
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
echo "setup: built ${*:-everything} in $BUILD_DIR (packages ${packages} s, configure ${configured} s, build $((SECONDS - started - packages - configured)) s)"
