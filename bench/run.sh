#!/usr/bin/env bash
# Benchmarks (not tests). Run after scripts/setup.sh; prints markdown tables.
#   bench/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
cmake --build "$B" --target network_bench sampler_bench fast_sampler_bench oracle_bench training_step_bench \
  sampling_step_bench smc_inpainting_bench score_sde_network_bench > /dev/null
sg="$B/bin/scoregen"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "## Training throughput (steps/s, $(nproc) threads)"
echo "| pipeline | steps/s |"
echo "|---|---|"
for p in toy_vp fashion_mnist_vp fashion_mnist_ncsn; do
  n=$([ "$p" = toy_vp ] && echo 1000 || echo 30)
  rate=$("$sg" train pipelines/$p.toml -q --steps $n --out "$tmp/$p" | sed -n 's/.*(\([0-9.]*\) steps\/s).*/\1/p')
  echo "| $p (batch $(sed -n 's/^batch_size = \([0-9]*\).*/\1/p' pipelines/$p.toml | head -1)) | $rate |"
done
echo
echo "## Data parallel: the Fashion-MNIST U-Net, 1 process x 2 threads against 2 processes x 1 thread (torchrun)"
echo "| layout | steps/s | gradient all-reduce share |"
echo "|---|---|---|"
one=$("$sg" train pipelines/fashion_mnist_vp.toml -q --steps 30 --threads 2 --out "$tmp/dp1" | sed -n 's/.*(\([0-9.]*\) steps\/s.*/\1/p')
echo "| 1 process x 2 threads | $one | - |"
two=$(torchrun --standalone --nproc_per_node 2 --redirects 1 --tee 1 --no_python -- "$sg" train pipelines/fashion_mnist_vp.toml \
        -q --steps 30 --threads 1 --out "$tmp/dp2" 2>&1 | sed -n 's/.*(\([0-9.]*\) steps\/s, gradient all-reduce \([0-9.]*\)%.*/\1 | \2%/p')
echo "| 2 processes x 1 thread | $two |"
echo
echo "## Networks: eval forward (what sampling runs), train forward, forward+backward; 1 thread"
"$B/bin/network_bench" 1
echo
echo "## Training and sampling steps against the network alone (1 thread): the overhead around the network"
"$B/bin/training_step_bench" 1 15
"$B/bin/sampling_step_bench" 1 7 10
echo
echo "## The gaussian-mixture oracle"
"$B/bin/oracle_bench"
echo
echo "## Fast samplers: NFE against quality on the six-mode oracle, every sampler and schedule"
"$B/bin/fast_sampler_bench" "${FAST_SAMPLERS_PNG:-bench/fast_samplers.png}"
echo
echo "## Samplers on the oracle"
"$B/bin/sampler_bench"
echo
echo "## Inpainting by replacement and by sequential Monte Carlo, shipped VP model (64 test images, 50 steps)"
"$B/bin/smc_inpainting_bench" "$tmp/smc_inpainting.png" 64 50
echo
echo "## score_sde_pytorch's NCSN++ / DDPM++ at CIFAR-10 size, imported: eval forward, batch 8, one thread"
"$B/bin/score_sde_network_bench" 1 8 5
if [ -n "${SCORE_SDE_TREE:-}" ]; then  # score_sde_pytorch's own forward, where its code is at hand
  /usr/bin/python3 bench/score_sde_forward.py "$SCORE_SDE_TREE" 1 8 5 2>/dev/null
fi
echo
echo "## Likelihood: time and NFE per example at rtol = atol = 1e-5"
"$sg" train pipelines/toy_vp.toml -q --steps 2000 --out "$tmp/toy" > /dev/null
for div in exact rademacher; do
  out=$("$sg" nll --checkpoint "$tmp/toy/checkpoint.pt" -q --num 256 --batch-size 256 --divergence $div)
  nfe=$(echo "$out" | sed -n 's/NFE: \([0-9]*\) in total, wall time \([0-9.]*\) s/\1 \2/p')
  set -- $nfe
  echo "| toy_vp MLP, $div divergence, 256 examples in one solve | NFE $1 | $(awk "BEGIN{printf \"%.2f ms\", $2*1000/256}") per example |"
done
echo
echo "## Likelihood of Fashion-MNIST test examples, shipped VP model: the old default against the new"
bench/likelihood_image.sh "$B"
echo
echo "## Threads by work: 2 threads against 1, quiet and beside a busy process"
bench/threads_by_work.sh "$B"
echo
echo "## bf16 autocast against float32, shipped VP model"
bench/precision.sh "$B"
echo
echo "## Ten steps against 200 on the shipped VP model (Frechet distance of 500 samples; floor 0.060)"
bench/ten_steps.sh "$B"  # about 30 minutes on 2 cores (SEEDS="0 1" halves it)
echo
echo "## What each public SDK header costs a plugin (no precompiled header)"
bench/sdk_headers.sh "$B"
echo
echo "## Building the binary and its plugins from scratch: combined units against file by file"
bench/build_time.sh
