#!/usr/bin/env bash
# Configure-time checks of cmake/TorchGeneration.cmake against stand-in LibTorch packages (a TorchConfig.cmake and
# its version file, no library): a LibTorch older than 1.13 and one of the pre-C++11 ABI are refused with one line,
# and one whose torch target asks for C++20 makes scoregen and its installed SDK C++20.
#   tests/cmake/torch_generation_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)

# fake_torch NAME VERSION CXX_FLAGS CXX_STANDARD
fake_torch() {
  local dir=$work/$1/share/cmake/Torch
  mkdir -p "$dir" "$work/$1/include" "$work/$1/lib"
  cat > "$dir/TorchConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "$2")
set(PACKAGE_VERSION_COMPATIBLE TRUE)
CMAKE
  cat > "$dir/TorchConfig.cmake" <<CMAKE
get_filename_component(TORCH_INSTALL_PREFIX "\${CMAKE_CURRENT_LIST_DIR}/../../../" ABSOLUTE)
set(TORCH_INCLUDE_DIRS "\${TORCH_INSTALL_PREFIX}/include")
set(TORCH_LIBRARY "\${TORCH_INSTALL_PREFIX}/lib/libtorch.so")
set(TORCH_CXX_FLAGS "$3")
add_library(torch INTERFACE IMPORTED)
set_target_properties(torch PROPERTIES CXX_STANDARD $4)
set(TORCH_LIBRARIES torch)
set(Torch_FOUND TRUE)
CMAKE
  echo "$dir"
}

# configure NAME TORCH_DIR: 0 if it configured; its output in $work/NAME.log
configure() {
  cmake -S "$src" -B "$work/build-$1" "${gen[@]}" -DTorch_DIR="$2" -DSCOREGEN_BUILD_TESTS=OFF -DSCOREGEN_BUILD_BENCH=OFF \
        > "$work/$1.log" 2>&1
}

expect_refused() {  # NAME TORCH_DIR MESSAGE
  if configure "$1" "$2"; then cat "$work/$1.log"; echo "FAIL: $1 configured"; exit 1; fi
  grep -q "$3" "$work/$1.log" || { cat "$work/$1.log"; echo "FAIL: $1 without '$3'"; exit 1; }
  echo "ok: $1 refused: $(grep -o "scoregen: LibTorch.*" "$work/$1.log" | head -n 1)"
}

expect_refused old "$(fake_torch old 1.12.1 "-D_GLIBCXX_USE_CXX11_ABI=1" 17)" "LibTorch 1.12.1 .* is older than 1.13"
expect_refused abi "$(fake_torch abi 2.5.0 "-D_GLIBCXX_USE_CXX11_ABI=0" 17)" "LibTorch 2.5.0 .* is built with the"

dir=$(fake_torch cxx20 2.13.0 "" 20)
configure cxx20 "$dir" || { cat "$work/cxx20.log"; echo "FAIL: the C++20 LibTorch did not configure"; exit 1; }
grep -q -- "-- scoregen: LibTorch 2.13.0 .*, C++20," "$work/cxx20.log" || { cat "$work/cxx20.log"; echo "FAIL: not C++20"; exit 1; }
grep -q "set(SCOREGEN_CXX_STANDARD 20)" "$work/build-cxx20/scoregenConfig.cmake" ||
  { echo "FAIL: the installed SDK does not say C++20"; exit 1; }
echo "ok: a LibTorch that needs C++20 makes scoregen and its SDK C++20"
echo "torch generation checks: 3 passed, 0 failed"
