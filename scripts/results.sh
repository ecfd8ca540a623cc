#!/usr/bin/env bash
# Reproduces the README's results table and sample grid from the shipped models (share/models), on this
# machine's CPU. Prints markdown rows; writes share/models/fashion_mnist_vp_samples.png.
#   scripts/results.sh [BUILD_DIR] [NUM]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
NUM=${2:-250}
sg="$B/bin/scoregen"
model=share/models/fashion_mnist_vp.pt
cls=share/models/fashion_mnist_classifier.pt
echo "| model | sampler | NFE | time for $NUM samples (s) | Frechet distance (classifier features) | class entropy (nats) | bits/dim |"
echo "|---|---|---|---|---|---|---|"
row() {  # name, sampler description, extra flags...
  local name=$1 label=$2; shift 2
  out=$("$sg" eval --checkpoint $model --classifier-checkpoint $cls --num "$NUM" --batch-size 250 -q "$@")
  nfe=$(sed -n 's/.*(NFE \([0-9]*\) per batch.*/\1/p' <<< "$out")
  secs=$(sed -n 's/.*per batch of [0-9]*, \([0-9.]*\) s).*/\1/p' <<< "$out")
  fd=$(sed -n 's/^Frechet distance.*: \([0-9.]*\)$/\1/p' <<< "$out")
  ent=$(sed -n 's/^class-distribution entropy of the samples: \([0-9.]*\) nats.*/\1/p' <<< "$out")
  bpd=$(sed -n 's/^bits\/dim: \([0-9.]* +- [0-9.]*\).*/\1/p' <<< "$out")
  echo "| $name | $label | $nfe | $secs | $fd | $ent | ${bpd:--} |"
}
row "VP U-Net (ch 16)" "pc reverse-diffusion, N = 200" --set sde.N=200 --set sampler.corrector='"none"' --nll-num 32
row "VP U-Net (ch 16)" "ode RK45 1e-3" --sampler ode --set sampler.rtol=1e-3 --set sampler.atol=1e-3 --nll-num 0
# the grid shown in the README
"$sg" sample --checkpoint $model --num 64 --set sde.N=200 --set sampler.corrector='"none"' -q \
  --out share/models/fashion_mnist_vp_samples.png > /dev/null
