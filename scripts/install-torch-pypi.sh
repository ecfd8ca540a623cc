#!/usr/bin/env bash
# Installs PyPI's torch into a virtual environment of its own (never over Debian's python3-torch) and prints that
# environment's folder on the last line. The default is torch 2.11.0, the CUDA 13 build the GPU machines carry: its
# LibTorch (torch/share/cmake) is what scripts/setup.sh builds scoregen against with SCOREGEN_TORCH=pypi.
#   scripts/install-torch-pypi.sh [VENV]     VENV defaults to .torch/venv-$TORCH_VERSION (ignored by git)
#   TORCH_VERSION=2.11.0 scripts/install-torch-pypi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=${TORCH_VERSION:-2.11.0}
venv=${1:-.torch/venv-$version}
scripts/install-packages.sh python3-venv python3-pip >&2
if ! "$venv/bin/python" -c "import torch, numpy, sys; sys.exit(torch.__version__.split('+')[0] != '$version')" 2> /dev/null; then
  started=$SECONDS
  /usr/bin/python3 -m venv "$venv"
  # numpy: the tests' TorchScript check loads arrays with it
  "$venv/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check "torch==$version" numpy >&2
  echo "install-torch-pypi: torch $version in $venv ($((SECONDS - started)) s, $(du -sh "$venv" | cut -f1))" >&2
fi
cd "$venv" && pwd
