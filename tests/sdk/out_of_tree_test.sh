#!/usr/bin/env bash
# Installs the SDK into a temporary prefix, builds share/example-plugin against it with
# find_package(scoregen) + scoregen_add_plugin, and loads the plugin through SCOREGEN_PLUGIN_PATH.
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)
# The completions and the manual page are installed with the binary.
for f in share/bash-completion/completions/scoregen share/zsh/site-functions/_scoregen share/man/man1/scoregen.1; do
  [ -s "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
# No CMAKE_BUILD_TYPE: scoregen_add_plugin builds the plugin with the Release flags anyway. The LibTorch is the one
# scoregen was built against, named the same way (a LibTorch 2.x: its CMake prefix path after the SDK's prefix).
torch_prefix=$(sed -n 's/^CMAKE_PREFIX_PATH:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$src/share/example-plugin" -B "$work/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix${torch_prefix:+;$torch_prefix}" \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
grep -q "example_gaussian): no CMAKE_BUILD_TYPE, so built with the Release flags" "$work/configure.log" ||
  { cat "$work/configure.log"; echo "the plugin is not built as Release by default"; exit 1; }
cmake --build "$work/build" -j2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }
exe="$work/prefix/bin/scoregen"
export SCOREGEN_PLUGIN_PATH="$work/build"
# The installed binary finds its built-in plugins under the prefix, and the example through the path.
# (captured first: grep -q closing the pipe early would fail the pipeline under pipefail)
listing=$("$exe" plugins)
grep -E '^network +example-gaussian ' <<< "$listing" || { echo "$listing"; echo "example plugin not listed"; exit 1; }
grep -q "$work/prefix/lib/scoregen/plugins/scoregen_sde.so" <<< "$listing" || { echo "$listing"; echo "built-ins not from the prefix"; exit 1; }
info=$("$exe" plugins info example-gaussian)
grep -q "data_std" <<< "$info" || { echo "$info"; exit 1; }
cat > "$work/p.toml" <<'TOML'
seed = 3
[sde]
plugin = "vp"
N = 200
[network]
plugin = "example-gaussian"
dim = 2
data_std = 2.0
[sampler]
plugin = "pc"
[sample]
num = 4000
batch_size = 4000
TOML
"$exe" sample "$work/p.toml" -q --out "$work/x.npy"
# The samples must have the data's spread: std 2 per coordinate (4000 draws: +-0.05).
/usr/bin/python3 - "$work/x.npy" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1])
assert x.shape == (4000, 2), x.shape
s = x.std(axis=0)
assert np.all(np.abs(s - 2.0) < 0.08), s
print("example plugin samples: std", s)
PY
echo "out-of-tree plugin: OK"
