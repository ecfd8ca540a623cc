#!/usr/bin/env bash
# Makes the README's pictures (docs/images/) with the commands the README documents: about 2 minutes on 2 cores
# after scripts/setup.sh. Each picture carries its record (docs/records.md), also beside it as NAME.png.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/build/bin:$PATH"
out=docs/images runs=runs/readme
mkdir -p "$out" "$runs"
# a toy model: its loss, and its samples over the data
scoregen train pipelines/toy_vp.toml --out "$runs/toy_vp" -q
scoregen plot "$runs/toy_vp" --out "$out/toy_vp_metrics.png"
scoregen sample --checkpoint "$runs/toy_vp/checkpoint.pt" --overlay --out "$out/toy_vp_samples.png" -q
# the NCSN paper's two pitfalls
scoregen sample pipelines/ncsn_mode_weights.toml --overlay --out "$out/ncsn_annealed.png" -q
scoregen sample pipelines/ncsn_mode_weights.toml --sampler langevin --set sampler.step_size=0.1 --steps 1000 \
  --overlay --out "$out/ncsn_langevin.png" -q
scoregen train pipelines/ncsn_low_density.toml --out "$runs/ncsn_low_density" -q
scoregen score-map pipelines/ncsn_low_density.toml --checkpoint "$runs/ncsn_low_density/checkpoint.pt" \
  --out "$out/ncsn_score_map.png" -q
echo "readme-figures: $(ls "$out"/*.png | wc -l) pictures in $out"
