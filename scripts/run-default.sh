#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job: 64 Fashion-MNIST samples from the shipped VP model
# (share/models/fashion_mnist_vp.pt), 200 reverse-diffusion steps on the CPU, written as a PNG grid.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh scoregen_cli scoregen_shell_docs   # the binary, its plugins, completions and man page (for
                                                    # cmake --install); scripts/test.sh builds the tests
build/bin/scoregen sample --checkpoint share/models/fashion_mnist_vp.pt --num 64 \
  --set sde.N=200 --set sampler.corrector='"none"' --out samples.png
echo "output: $PWD/samples.png (and samples.png.toml, the pipeline that made it)"
