#!/usr/bin/env bash
# bf16 autocast against float32 on the shipped VP model, the same seed (so the same draws) for both: sampling time of
# 64 images with 10 UniPC steps on 1 thread, the classifier-feature Frechet distance of 500 such samples (two
# disjoint blocks of 500 test images: 0.060), and bits/dim of 16 dequantized test examples in one solve with its NFE.
#   bench/precision.sh [BUILD_DIR]     (about 2 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=share/models/fashion_mnist_vp.pt
field() { sed -n "s/.*\"$1\": *\\([0-9.eE+-]*\\).*/\\1/p"; }
grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo && echo "this CPU has bf16 instructions" ||
  echo "this CPU has no bf16 instructions (avx512_bf16, amx_bf16): bf16 is emulated and slower"
echo "| precision | sampling 64 images, 10 steps, 1 thread (s) | Frechet distance, 500 samples | bits/dim, 16 examples | likelihood NFE / time (s) |"
echo "|---|---|---|---|---|"
for p in float32 bf16; do
  s=$("$sg" sample --checkpoint "$model" --precision $p --threads 1 --num 64 --sampler unipc --steps 10 -q --json \
        --out "$tmp/s.npy" | field seconds)
  fd=$("$sg" eval --checkpoint "$model" --classifier-checkpoint share/models/fashion_mnist_classifier.pt --precision $p \
         --sampler unipc --steps 10 --num 500 --batch-size 250 --nll-num 0 -q --json | field frechet_distance)
  nll=$("$sg" nll --checkpoint "$model" --precision $p --num 16 --batch-size 16 -q --json)
  printf '| %s | %.2f | %.3f | %.3f +- %.3f | %s / %.1f |\n' $p "$s" "$fd" "$(echo "$nll" | field bits_per_dim)" \
    "$(echo "$nll" | field bits_per_dim_se)" "$(echo "$nll" | field nfe)" "$(echo "$nll" | field seconds)"
done
