#!/usr/bin/env bash
# Sample quality against NFE on the shipped VP model, per sampler: classifier-feature Frechet distance and KID
# (its unbiased kernel distance) of 500 samples, at several step counts and seeds, as `scoregen eval --json` lines
# (one file per sampler), a table of mean +- standard error over the seeds, and the picture
# `scoregen plot --x-axis nfe_per_batch` draws of them (docs/images/quality_vs_nfe.png).
#   bench/quality_sweep.sh [BUILD_DIR] [OUT_DIR]    (STEPS="5 10 20", SEEDS="0 1 2"; about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
out=${2:-sweep}
steps=${STEPS:-5 10 20}
seeds=${SEEDS:-0 1 2}
mkdir -p "$out"
run() {  # file, then the sampler flags
  local file=$1 n s
  shift
  : > "$out/$file.jsonl"
  for n in $steps; do
    for s in $seeds; do
      "$sg" eval --checkpoint share/models/fashion_mnist_vp.pt \
        --classifier-checkpoint share/models/fashion_mnist_classifier.pt --num 500 --batch-size 250 --nll-num 0 \
        --set eval.kid_subset_size=250 -q --json --seed "$s" --steps "$n" "$@" >> "$out/$file.jsonl"
    done
  done
}
run dpm-solver++_2M --sampler dpm-solver++
run dpm-solver++_2M_SDE_time-uniform --sampler dpm-solver++ --set sampler.eta=1.0 --set sampler.schedule='"time-uniform"'
run unipc --sampler unipc
run heun-edm --sampler heun-edm
"$sg" plot "$out"/dpm-solver++_2M.jsonl "$out"/dpm-solver++_2M_SDE_time-uniform.jsonl "$out"/unipc.jsonl \
  "$out"/heun-edm.jsonl --x-axis nfe_per_batch --metric frechet_distance --metric classifier_kid --y-scale linear \
  --out "$out/quality_vs_nfe.png"
# the table: mean +- standard error over the seeds of each (sampler, NFE)
/usr/bin/python3 - "$out" <<'PY'
import json, math, sys, glob, os, collections
print('| sampler | NFE | Frechet distance | KID (classifier features) | floor FD at N = 500 |')
print('|---|---|---|---|---|')
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.jsonl'))):
    rows = collections.defaultdict(list)
    for line in open(f):
        d = json.loads(line)
        rows[d['nfe_per_batch']].append(d)
    def mse(v):
        m = sum(v) / len(v)
        return m, (math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1) / len(v)) if len(v) > 1 else float('nan'))
    for nfe in sorted(rows):
        fd = mse([d['frechet_distance'] for d in rows[nfe]])
        kid = mse([d['classifier_kid'] for d in rows[nfe]])
        floor = rows[nfe][0].get('frechet_distance_floor', float('nan'))
        print(f'| {os.path.basename(f)[:-6]} | {nfe} | {fd[0]:.4f} +- {fd[1]:.4f} | {kid[0]:.5f} +- {kid[1]:.5f} | {floor:.4f} |')
PY
