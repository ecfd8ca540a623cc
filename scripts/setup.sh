#!/usr/bin/env bash
# Installs scoregen's build and runtime dependencies from Debian (idempotent) and builds it in Release.
#   scripts/setup.sh            install packages (as root, or through sudo) and build everything into ./build
#   scripts/setup.sh TARGET...  the same, building only those targets (scoregen_cli: the binary and its plugins)
#   BUILD_DIR=... JOBS=... SCOREGEN_PCH=OFF SCOREGEN_UNITY=OFF scripts/setup.sh
#     (PCH OFF: every file compiles with its own includes; UNITY OFF: file by file, not as combined units)
#   SCOREGEN_TORCH=pypi scripts/setup.sh   against PyPI's torch 2.11.0 (CUDA 13) in a virtual environment of its own
#     (scripts/install-torch-pypi.sh; TORCH_VERSION=... for another) instead of Debian's LibTorch 1.13, into
#     build-torch2; its torchrun and TorchScript run the tests (docs/building.md)
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(cmake ninja-build g++ pkg-config
          libtorch-dev libgloo-dev libcxxopts-dev libboost-dev libopencv-dev libfmt-dev libtomlplusplus-dev libgtest-dev zlib1g-dev
          libopenblas0-pthread dataset-fashion-mnist python3-torch python3-numpy python3-scipy strace libssl-dev zsh)
started=$SECONDS
scripts/install-packages.sh "${PACKAGES[@]}"
torch_args=()
case "${SCOREGEN_TORCH:-debian}" in
  debian) BUILD_DIR=${BUILD_DIR:-build} ;;
  pypi)
    if ! command -v nvcc > /dev/null && [ ! -x /usr/local/cuda/bin/nvcc ]; then
      echo "setup: PyPI's torch is a CUDA build, whose CMake package needs the CUDA toolkit (nvcc) at configure time" \
           "(no GPU): install it into /usr/local/cuda or put its nvcc on PATH (docs/building.md)" >&2
      exit 2
    fi
    venv=$(scripts/install-torch-pypi.sh | tail -n 1)
    torch_args=(-DCMAKE_PREFIX_PATH="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
                -DSCOREGEN_TEST_PYTHON="$venv/bin/python")
    BUILD_DIR=${BUILD_DIR:-build-torch2} ;;
  *) echo "setup: SCOREGEN_TORCH must be debian or pypi, not '$SCOREGEN_TORCH'" >&2; exit 2 ;;
esac
packages=$((SECONDS - started))
JOBS=${JOBS:-$(nproc)}
configure=$(cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_PCH="${SCOREGEN_PCH:-ON}" \
                  -DSCOREGEN_UNITY="${SCOREGEN_UNITY:-ON}" "${torch_args[@]}")
grep '^-- scoregen:' <<< "$configure" || true   # which LibTorch, C++ standard and fmt
configured=$((SECONDS - started - packages))
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
echo "setup: built ${*:-everything} in $BUILD_DIR (packages ${packages} s, configure ${configured} s, build $((SECONDS - started - packages - configured)) s)"
