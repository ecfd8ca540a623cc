#!/usr/bin/env bash
# What each RK45 tolerance costs (docs/pipelines.md "ODE tolerance"), on the shipped VP model and 16 Fashion-MNIST
# test examples in one solve: bits/dim (nll, one Rademacher probe, the same dequantization and probe at every
# tolerance) and latent codes (encode) at rtol = atol = 1e-3 ... 1e-6, each against the next tighter tolerance, with
# the evaluations each took.
#   bench/ode_tolerance.sh [BUILD_DIR] [OUT_DIR]    (about 10 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
out=${2:-ode_tolerance}
model=share/models/fashion_mnist_vp.pt
mkdir -p "$out"
for tol in 1e-3 1e-4 1e-5 1e-6; do
  "$sg" nll --checkpoint "$model" --num 16 --batch-size 16 --rtol "$tol" --atol "$tol" -q --json \
    --out "$out/nll_$tol.csv" > "$out/nll_$tol.json"
  "$sg" encode --checkpoint "$model" --num 16 --rtol "$tol" --atol "$tol" -q --json \
    --out "$out/z_$tol.npy" > "$out/encode_$tol.json"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
import numpy as np
out = sys.argv[1]
tols = ["1e-3", "1e-4", "1e-5", "1e-6"]
bpd = {t: np.loadtxt(f"{out}/nll_{t}.csv", delimiter=",", skiprows=1)[:, 2] for t in tols}
z = {t: np.load(f"{out}/z_{t}.npy").reshape(16, -1) for t in tols}
nfe = {t: (json.load(open(f"{out}/nll_{t}.json"))["nfe"], json.load(open(f"{out}/encode_{t}.json"))["nfe"]) for t in tols}
print("| rtol = atol | nll NFE | bits/dim: largest change per example (mean) | encode NFE | latent: largest absolute change (RMS) |")
print("|---|---|---|---|---|")
for a, b in zip(tols, tols[1:] + [None]):
    if b is None:
        print(f"| {a} | {nfe[a][0]} | (reference) | {nfe[a][1]} | (reference) |")
        continue
    d = bpd[a] - bpd[b]
    dz = z[a] - z[b]
    print(f"| {a} | {nfe[a][0]} | {np.abs(d).max():.2g} ({d.mean():+.2g}) against {b} | {nfe[a][1]} | "
          f"{np.abs(dz).max():.2g} ({np.sqrt((dz ** 2).mean()):.2g}) against {b} |")
PY
