#!/usr/bin/env bash
# Where more CPU threads start to pay: each job on 1 thread and on every core, on a quiet machine and beside one busy
# neighbour process (a machine shared with other work), as the ratio t(all cores) / t(1 thread) measured in one run
# (below 1: the cores pay; above 1: one thread is faster); medians of 3 runs each, taken in turn after a warm-up. The default `threads = 0` follows these rows
# (docs/pipelines.md "Threads").
#   bench/threads_by_work.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
cores=$(nproc)
tmp=$(mktemp -d)
trap 'kill "${busy:-0}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
seconds() {  # the wall time of one run of the command (a training run starts afresh in $tmp/run each time)
  local start end
  rm -rf "$tmp/run"
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s.%N)
  awk "BEGIN{print $end - $start}"
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
job() {  # label, then the command without --threads; prints a table row: medians of 3 runs each, in turn, after a warm-up
  local label=$1 one all ones="" alls=""
  shift
  seconds "$@" --threads 1 > /dev/null
  for _ in 1 2 3; do
    ones="$ones $(seconds "$@" --threads 1)"
    alls="$alls $(seconds "$@" --threads "$cores")"
  done
  one=$(tr ' ' '\n' <<< "$ones" | grep . | median)
  all=$(tr ' ' '\n' <<< "$alls" | grep . | median)
  printf '| %s | %s | %.2f s | %.2f s | %.2f |\n' "$label" "$neighbour" "$one" "$all" "$(awk "BEGIN{print $all / $one}")"
}
rows() {
  job "toy MLP train, 300 steps (37k parameters)" "$sg" train pipelines/toy_vp.toml --steps 300 -q --out "$tmp/run"
  job "2-D oracle sample, 2000 x 1000 steps" "$sg" sample pipelines/oracle_mixture.toml -q --out "$tmp/o.npy"
  job "Fashion-MNIST U-Net train, 4 steps of 64" "$sg" train pipelines/fashion_mnist_vp.toml --steps 4 -q \
    --out "$tmp/run"
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
