#!/usr/bin/env bash
# Reproduces the README's results table and sample grids from the shipped models (share/models), on this
# machine's CPU: prints markdown rows, writes share/models/fashion_mnist_{vp,ve,ncsn}_samples.png.
# About an hour on 2 cores with the default NUM = 500 (the README table).
#   scripts/results.sh [BUILD_DIR] [NUM]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
NUM=${2:-500}
sg="$B/bin/scoregen"
m=share/models
cls=$m/fashion_mnist_classifier.pt
echo "| model | sampler | NFE | time for $NUM samples (s) | Frechet distance (classifier features) | class entropy (nats) | bits/dim |"
echo "|---|---|---|---|---|---|---|"
row() {  # model file, model name, sampler description, extra flags...
  local model=$1 name=$2 label=$3; shift 3
  "$sg" eval --checkpoint "$model" --classifier-checkpoint $cls --num "$NUM" --batch-size 250 -q --json "$@" |
    /usr/bin/python3 -c '
import json, sys
name, label = sys.argv[1:3]
r = json.load(sys.stdin)
bpd = "%.4f +- %.4f" % (r["bits_per_dim"], r["bits_per_dim_se"]) if "bits_per_dim" in r else "-"
print("| %s | %s | %d | %.1f | %.4f | %.4f | %s |" % (name, label, r["nfe_per_batch"], r["sample_seconds"],
      r["frechet_distance"], r["class_entropy"], bpd))' "$name" "$label"
}
vp=$m/fashion_mnist_vp.pt ve=$m/fashion_mnist_ve.pt ncsn=$m/fashion_mnist_ncsn.pt
no_corrector=(--set sampler.corrector='"none"')
row $vp "VP U-Net (ch 16)" "pc reverse-diffusion, N = 200" --set sde.N=200 "${no_corrector[@]}" --nll-num 32
row $vp "VP U-Net (ch 16)" "dpm-solver++ (2M), 20 steps" --sampler dpm-solver++ --nll-num 0
row $vp "VP U-Net (ch 16)" "dpm-solver++ (2M SDE, eta 1), 20 steps" --sampler dpm-solver++ --set sampler.eta=1.0 --nll-num 0
row $vp "VP U-Net (ch 16)" "ode RK45 1e-3" --sampler ode --set sampler.rtol=1e-3 --set sampler.atol=1e-3 --nll-num 0
row $ve "VE U-Net (ch 16)" "pc reverse-diffusion + langevin (snr 0.16), N = 500" --set sde.N=500 --nll-num 32
row $ve "VE U-Net (ch 16)" "dpm-solver++ (2M SDE, eta 1), 20 steps" --sampler dpm-solver++ --set sampler.eta=1.0 --nll-num 0
row $ncsn "NCSN RefineNet (ngf 16)" "annealed Langevin, 10 levels x 100" --nll-num 0
echo
echo "Frechet distance between two disjoint blocks of $NUM test examples (what a perfect sampler scores): $floor"
# the grids shown in the README
"$sg" sample --checkpoint $vp --num 64 --set sde.N=200 "${no_corrector[@]}" -q --out $m/fashion_mnist_vp_samples.png > /dev/null
"$sg" sample --checkpoint $ve --num 64 --set sde.N=500 -q --out $m/fashion_mnist_ve_samples.png > /dev/null
"$sg" sample --checkpoint $ncsn --num 64 -q --out $m/fashion_mnist_ncsn_samples.png > /dev/null
