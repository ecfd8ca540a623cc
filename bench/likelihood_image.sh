#!/usr/bin/env bash
# Likelihood at image scale: bits/dim of 16 dequantized Fashion-MNIST test examples under the shipped VP model
# (Hutchinson, one Rademacher probe), as the old default ran it (4 examples per ODE solve, rtol = atol = 1e-5) and
# as it runs now (16 per solve, rtol = atol = 1e-4): NFE, time, mean bits/dim with its standard error, and the
# largest per-example change against the 16-per-solve solve at 1e-5 (same examples, dequantization and probes).
#   bench/likelihood_image.sh [BUILD_DIR] [THREADS = 2]     (2-5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
sg="${1:-build}/bin/scoregen"
threads=${2:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { sed -n "s/.*\"$1\": *\\([0-9.eE+-]*\\).*/\\1/p"; }
echo "| examples per solve | rtol = atol | NFE | time (s) | bits/dim | largest per-example change |"
echo "|---|---|---|---|---|---|"
for run in "4 1e-5" "16 1e-5" "16 1e-4"; do
  set -- $run
  out=$("$sg" nll --checkpoint share/models/fashion_mnist_vp.pt --num 16 --batch-size "$1" --threads "$threads" \
          --set nll.rtol="$2" --set nll.atol="$2" -q --json --out "$tmp/$1-$2.csv")
  change=-
  if [ "$1 $2" = "16 1e-4" ]; then
    change=$(paste -d, "$tmp/16-1e-5.csv" "$tmp/16-1e-4.csv" |
             awk -F, 'NR > 1 { d = $3 - $6; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.4f", m }')
  fi
  printf '| %s | %s | %s | %.1f | %.3f +- %.3f | %s |\n' "$1" "$2" "$(echo "$out" | field nfe)" \
    "$(echo "$out" | field seconds)" "$(echo "$out" | field bits_per_dim)" "$(echo "$out" | field bits_per_dim_se)" "$change"
done
