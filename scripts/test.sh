#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: unit, end-to-end CLI and the out-of-tree SDK test.
#   SCOREGEN_TORCH=pypi scripts/test.sh   the same against PyPI's torch 2.11.0 (build-torch2; scripts/setup.sh)
#   SCOREGEN_TEST_EXCLUDE=REGEX scripts/test.sh   all but the tests whose names match (ctest -E)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
default_build=build
[ "${SCOREGEN_TORCH:-debian}" = pypi ] && default_build=build-torch2
exclude=()
[ -n "${SCOREGEN_TEST_EXCLUDE:-}" ] && exclude=(-E "$SCOREGEN_TEST_EXCLUDE")
ctest --test-dir "${BUILD_DIR:-$default_build}" -j "$(nproc)" --output-on-failure "${exclude[@]}"
