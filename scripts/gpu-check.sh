#!/usr/bin/env bash
# The CUDA check of docs/scaling.md, for a machine with an NVIDIA GPU and a CUDA PyTorch (the device machines this
# project is sometimes lent have one, with no package registry): builds scoregen against the LibTorch inside that
# PyTorch, then times `train` and `sample` of the Fashion-MNIST VP pipeline with --device cuda against the CPU, and a
# 2-process NCCL run when the machine has two GPUs.
#
#   scripts/gpu-check.sh fetch      on a Debian machine with network: downloads the other dependencies' .debs and
#                                   the Fashion-MNIST files into .gpu-deps/ (ignored by git; carry it)
#   scripts/gpu-check.sh run        on the GPU machine: unpacks .gpu-deps, builds into build-cuda, runs the checks
set -euo pipefail
cd "$(dirname "$0")/.."
deps=.gpu-deps
debs=(libfmt-dev libfmt9 libtomlplusplus-dev libcxxopts-dev libboost1.74-dev zlib1g-dev libopencv-dev
      libopencv-core-dev libopencv-core406 libopencv-imgproc-dev libopencv-imgproc406 libopencv-imgcodecs-dev
      libopencv-imgcodecs406 libgloo-dev dataset-fashion-mnist)
case "${1:-run}" in
  fetch)
    mkdir -p "$deps"
    grep -qx "/$deps/" .git/info/exclude 2> /dev/null || echo "/$deps/" >> .git/info/exclude
    (cd "$deps" && apt-get download "${debs[@]}")
    echo "gpu-check: $(du -sh "$deps" | cut -f1) in $deps; carry it to the GPU machine"
    ;;
  run)
    root=/tmp/scoregen-deps
    mkdir -p "$root"
    for f in "$deps"/*.deb; do dpkg -x "$f" "$root"; done
    torch_cmake=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
    export CPATH="$root/usr/include:$root/usr/include/opencv4${CPATH:+:$CPATH}"
    export LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LIBRARY_PATH:+:$LIBRARY_PATH}"
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu:$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_BUILD_TESTS=OFF -DSCOREGEN_BUILD_BENCH=OFF \
          -DCMAKE_PREFIX_PATH="$torch_cmake;$root/usr" -DOpenCV_DIR="$root/usr/lib/x86_64-linux-gnu/cmake/opencv4"
    cmake --build build-cuda -j "$(nproc)"
    sg=build-cuda/bin/scoregen
    data="--set data.root=\"$root/usr/share/datasets/fashion-mnist\""
    nvidia-smi -L
    for device in cuda cpu; do
      steps=$([ $device = cuda ] && echo 300 || echo 20)
      echo "== train on $device ($steps steps)"
      "$sg" train pipelines/fashion_mnist_vp.toml $data --device $device --steps $steps -q --out "/tmp/gpu-check-$device"
      echo "== sample on $device (64 samples, 200 steps)"
      "$sg" sample --checkpoint share/models/fashion_mnist_vp.pt $data --device $device --num 64 --set sde.N=200 \
            --set sampler.corrector=none -q --out "/tmp/gpu-check-$device.png"
    done
    if [ "$(nvidia-smi -L | wc -l)" -ge 2 ]; then
      echo "== 2 ranks, NCCL"
      python3 -m torch.distributed.run --standalone --nproc_per_node 2 --no_python "$sg" train \
              pipelines/fashion_mnist_vp.toml $data --device cuda --steps 300 -q --out /tmp/gpu-check-nccl
    fi
    ;;
  *) echo "usage: scripts/gpu-check.sh fetch|run" >&2; exit 2 ;;
esac
