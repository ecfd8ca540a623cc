#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the main job on the built-in default pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/scoregen sample pipelines/default.toml --out samples.png
echo "output: $PWD/samples.png (and samples.png.toml, the pipeline that made it)"
