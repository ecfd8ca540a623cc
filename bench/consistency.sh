#!/usr/bin/env bash
# One- and two-step generation against its goals, as ratios measured in one run:
# - the oracle (pipelines/oracle_consistency.toml): an MLP distilled from the exact score of a 2-D mixture; the sliced
#   W1 of 16384 samples to exact draws over the exact-vs-exact floor at 1, 2 and 3 steps (goal: two steps within 2x);
# - Fashion-MNIST: the shipped consistency model (share/models/fashion_mnist_vp_consistency.pt) at 1 and 2 steps
#   against its teacher's 200 reverse-diffusion steps and 10 steps of SDE-DPM-Solver++(2M), paired by seed:
#   classifier-feature Frechet distance and KID of 500 samples (goal: two steps within the 500-sample noise of the
#   200-step row, one step within 2x of it).
#   bench/consistency.sh [BUILD_DIR] [OUT_DIR]    (SEEDS="0 1 2"; about 25 minutes on 2 cores, most of it the 200 steps)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
out=${2:-consistency}
seeds=${SEEDS:-0 1 2}
mkdir -p "$out"
start=$(date +%s)
"$sg" distill pipelines/oracle_consistency.toml --out "$out/oracle" -q
echo "oracle distillation: $(( $(date +%s) - start )) s"
: > "$out/oracle.jsonl"
for n in 1 2 3; do
  for s in $seeds; do
    "$sg" eval --checkpoint "$out/oracle/checkpoint.pt" --steps "$n" --seed "$s" --nll-num 0 -q --json >> "$out/oracle.jsonl"
  done
done
fm() {  # file, checkpoint, then the sampler flags
  local file=$1 ckpt=$2 s
  shift 2
  : > "$out/$file.jsonl"
  for s in $seeds; do
    "$sg" eval --checkpoint "$ckpt" --classifier-checkpoint share/models/fashion_mnist_classifier.pt --num 500 \
      --batch-size 250 --nll-num 0 --set eval.kid_subset_size=250 -q --json --seed "$s" "$@" >> "$out/$file.jsonl"
  done
}
fm cm_1_step share/models/fashion_mnist_vp_consistency.pt --steps 1
fm cm_2_steps share/models/fashion_mnist_vp_consistency.pt --steps 2
fm teacher_sde_dpm_10 share/models/fashion_mnist_vp.pt --sampler dpm-solver++ --steps 10 --set sampler.eta=1.0 \
  --set sampler.schedule='"time-uniform"'
fm teacher_pc_200 share/models/fashion_mnist_vp.pt --steps 200
/usr/bin/python3 - "$out" <<'PY'
import json, math, sys, os
out = sys.argv[1]
def rows(name): return [json.loads(l) for l in open(os.path.join(out, name + '.jsonl'))]
def mse(v):
    m = sum(v) / len(v)
    return m, (math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1) / len(v)) if len(v) > 1 else float('nan'))
# one seed's floor at 16384 draws ranges from 0.020 to 0.074: W1 and floor are each summed over the seeds
print('oracle: sliced W1 over the exact-vs-exact floor, each summed over the seeds')
o = rows('oracle')
for n in (1, 2, 3):
    r = [d for d in o if d['nfe_per_batch'] == n]
    w1, floor = sum(d['sliced_wasserstein'] for d in r), sum(d['sliced_wasserstein_floor'] for d in r)
    print(f'  {n} step(s): {w1 / floor:.2f} (W1 {w1 / len(r):.4f}, floor {floor / len(r):.4f})')
print('| model | sampler | NFE | Frechet distance | KID (classifier features) | FD / 200-step FD (paired) |')
print('|---|---|---|---|---|---|')
ref = rows('teacher_pc_200')
for name, label in (('teacher_pc_200', 'VP teacher | pc reverse-diffusion, N = 200'),
                    ('teacher_sde_dpm_10', 'VP teacher | SDE-DPM-Solver++(2M), time-uniform'),
                    ('cm_2_steps', 'consistency (distilled) | consistency, 2 steps'),
                    ('cm_1_step', 'consistency (distilled) | consistency, 1 step')):
    r = rows(name)
    fd, kid = mse([d['frechet_distance'] for d in r]), mse([d['classifier_kid'] for d in r])
    ratio = mse([a['frechet_distance'] / b['frechet_distance'] for a, b in zip(r, ref)])
    print(f"| {label} | {r[0]['nfe_per_batch']} | {fd[0]:.4f} +- {fd[1]:.4f} | {kid[0]:.4f} +- {kid[1]:.4f} | "
          f"{ratio[0]:.2f} +- {ratio[1]:.2f} |")
print(f"floor FD at N = 500: {ref[0].get('frechet_distance_floor', float('nan')):.4f}")
PY
