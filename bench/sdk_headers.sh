#!/usr/bin/env bash
# What including each public SDK header costs a plugin author (no precompiled header): seconds and peak memory of a
# translation unit holding only that #include (-fsyntax-only), then a full compile of the example plugin.
#   bench/sdk_headers.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(-std=c++17 -O3 -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -Isdk/include -I"$B/include" -isystem /usr/include/torch/csrc/api/include)
measure() {  # label, then the compiler arguments
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/t" g++ "${flags[@]}" "$@" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  read -r secs kb < "$tmp/t"
  printf '| %s | %.1f | %d |\n' "$label" "$secs" $((kb / 1024))
}
echo "| header (alone, -fsyntax-only) | seconds | peak MB |"
echo "|---|---|---|"
for h in sdk/include/scoregen/*.hpp; do
  name=$(basename "$h")
  echo "#include <scoregen/$name>" > "$tmp/$name.cpp"
  measure "$name" -fsyntax-only "$tmp/$name.cpp"
done
measure "share/example-plugin/example_gaussian.cpp (full compile)" -c share/example-plugin/example_gaussian.cpp -o "$tmp/ex.o"
