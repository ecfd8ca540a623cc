#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: unit, end-to-end CLI and the out-of-tree SDK test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure
