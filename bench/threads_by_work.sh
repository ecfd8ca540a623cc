#!/usr/bin/env bash
# Where more CPU threads start to pay: each job on 1 thread and on every core, on a quiet machine and beside one busy
# neighbour process (a machine shared with other work), as the ratio t(all cores) / t(1 thread) measured in one run
# (below 1: the cores pay; above 1: one thread is faster). The default `threads = 0` follows these rows
# (docs/pipelines.md "Threads").
#   bench/threads_by_work.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
cores=$(nproc)
tmp=$(mktemp -d)
trap 'kill "${busy:-0}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
seconds() {  # the wall time of one run of the command
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s.%N)
  awk "BEGIN{print $end - $start}"
}
job() {  # label, then the command without --threads; prints a table row
  local label=$1 one all
  shift
  one=$(seconds "$@" --threads 1)
  all=$(seconds "$@" --threads "$cores")
  printf '| %s | %s | %.2f s | %.2f s | %.2f |\n' "$label" "$neighbour" "$one" "$all" "$(awk "BEGIN{print $all / $one}")"
}
rows() {
  job "toy MLP train, 300 steps (37k parameters)" "$sg" train pipelines/toy_vp.toml --steps 300 -q --out "$tmp/toy-$RANDOM"
  job "2-D oracle sample, 2000 x 1000 steps" "$sg" sample pipelines/oracle_mixture.toml -q --out "$tmp/o.npy"
  job "Fashion-MNIST U-Net train, 4 steps of 64" "$sg" train pipelines/fashion_mnist_vp.toml --steps 4 -q \
    --out "$tmp/fm-$RANDOM"
  job "Fashion-MNIST U-Net sample, 16 x 20 steps" "$sg" sample --checkpoint share/models/fashion_mnist_vp.pt -q \
    --num 16 --sampler dpm-solver++ --steps 20 --out "$tmp/f.npy"
}
echo "| job | neighbour | 1 thread | $cores threads | ratio |"
echo "|---|---|---|---|---|"
neighbour="none"
rows
neighbour="one busy process"
( while :; do :; done ) &
busy=$!
rows
