#!/usr/bin/env bash
# Ten sampler steps against 200 on the shipped VP model: classifier-feature Frechet distance of 500 samples
# (two disjoint blocks of 500 test images score 0.060 against each other), one column per seed. The same seed
# draws the same initial noise, so the ODE rows compare solvers on the same draws.
#   bench/ten_steps.sh [BUILD_DIR]    (SEEDS="0 1 2 3" by default; the 200-step row takes ~6 min per seed)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
seeds=${SEEDS:-0 1 2 3}
fd() {  # Frechet distance of one eval run
  "$sg" eval --checkpoint share/models/fashion_mnist_vp.pt --classifier-checkpoint share/models/fashion_mnist_classifier.pt \
    --num 500 --batch-size 250 --nll-num 0 -q --json "$@" | sed -n 's/.*"frechet_distance": *\([0-9.eE+-]*\).*/\1/p'
}
row() {  # label, then the flags
  local label=$1 line sum=0 n=0 v
  shift
  line="| $label |"
  for s in $seeds; do
    v=$(fd --seed "$s" "$@")
    line="$line $(printf '%.3f' "$v") |"
    sum=$(awk "BEGIN{print $sum + $v}"); n=$((n + 1))
  done
  echo "$line $(awk "BEGIN{printf \"%.3f\", $sum / $n}") |"
}
header="| sampler (NFE) |"; rule="|---|"
for s in $seeds; do header="$header seed $s |"; rule="$rule---|"; done
echo "$header mean |"
echo "$rule---|"
row "pc reverse diffusion, N = 200 (200)" --set sde.N=200 --set sampler.corrector='"none"'
row "SDE-DPM-Solver++(2M), eta 1, time-uniform (10)" --sampler dpm-solver++ --steps 10 --set sampler.eta=1.0 \
  --set sampler.schedule='"time-uniform"'
row "SDE-DPM-Solver++(2M), eta 1, edm (10)" --sampler dpm-solver++ --steps 10 --set sampler.eta=1.0
row "DPM-Solver++(2M) ODE, edm (10)" --sampler dpm-solver++ --steps 10
row "DPM-Solver++(2M) ODE, edm (50)" --sampler dpm-solver++ --steps 50
row "UniPC-3 bh2, quadratic (10)" --sampler unipc --steps 10
