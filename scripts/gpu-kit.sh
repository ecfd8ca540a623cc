#!/usr/bin/env bash
# The GPU kit (docs/gpu.md): scoregen prebuilt here against PyPI's torch 2.11.0 (CUDA 13), with every library it
# loads beside it, so that a GPU machine that has that torch and nothing else scoregen needs (no OpenCV, fmt, toml++,
# Boost or cxxopts, no package registry) runs it without building anything.
#
#   scripts/gpu-kit.sh build   here, on a Debian machine with the package registries: makes .gpu-kit/kit (the folder to
#                              carry; git-ignored) and checks it; OpenCV is built once into .gpu-kit/cache and reused
#   scripts/gpu-kit.sh check   here: proves the kit self-contained (also the last step of build)
#   scripts/gpu-kit.sh run     on the GPU machine, from the repository root with .gpu-kit/kit beside it: the checks of
#                              docs/gpu.md; a JSON summary (gpu-kit.json), the logs and the samples' PNG under $OUT
#                              (.gpu-kit/out without it). GPU_KIT_DEVICE=cpu GPU_KIT_SMALL=1 runs the same steps here,
#                              small, for the script's logic.
#
#   GPU_TORCH_LIB   the GPU machine's torch/lib folder, written into the kit's RUNPATH after its own lib folder
#                   (default: that of the image the project's GPU machines run; `run` also puts the folder of
#                   whatever python3's torch it finds first on LD_LIBRARY_PATH)
#   GPU_KIT_PYTHON  the Python whose torch the kit runs with (default: GPU_TORCH_LIB's environment's, else python3)
#   SCORE_SDE       an extracted score_sde_pytorch tree: its model code travels in the kit for the side-by-side
#                   training step (read from its public repository; never committed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
kit_dir=.gpu-kit
kit=$kit_dir/kit
cache=$kit_dir/cache
GPU_TORCH_LIB=${GPU_TORCH_LIB:-/opt/torch/.venv/lib/python3.12/site-packages/torch/lib}
opencv_version=4.6.0
# What the kit's binary may load from outside the kit and torch's folders: the base system of any Linux machine.
base_system='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|libz|libutil)\.so'

# The OpenCV modules scoregen uses (core, imgproc, imgcodecs with PNG and JPEG), from Debian's source package, with
# every optional dependency off (GDAL, TIFF, WebP, OpenEXR, TBB, LAPACK, IPP, OpenCL, video, GUI).
build_opencv() {
  local prefix=$cache/opencv
  # built before, and each library finds the others (and the kit's libpng and libjpeg) beside itself
  [ -f "$prefix/lib/libopencv_imgcodecs.so" ] &&
    readelf -d "$prefix/lib/libopencv_imgcodecs.so" | grep -q 'R[UN]*PATH.*\[\$ORIGIN\]' && return
  local src=$cache/opencv-source lists=$cache/apt-lists
  mkdir -p "$lists/partial" "$src"
  printf 'deb-src http://deb.debian.org/debian bookworm main\n' > "$cache/sources.list"
  local apt=(-o Dir::Etc::SourceList="$root/$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o Dir::State::Lists="$root/$lists")
  if [ ! -f "$src/CMakeLists.txt" ]; then
    apt-get "${apt[@]}" update > /dev/null
    (cd "$cache" && apt-get "${apt[@]}" source --download-only "opencv=$opencv_version+dfsg-12" > /dev/null 2>&1 ||
                    apt-get "${apt[@]}" source --download-only opencv > /dev/null)
    tar -xf "$cache"/opencv_*.orig.tar.xz -C "$src" --strip-components 1
  fi
  cmake -S "$src" -B "$cache/opencv-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$root/$prefix" \
        -DBUILD_LIST=core,imgproc,imgcodecs -DBUILD_SHARED_LIBS=ON -DCPU_DISPATCH= -DCMAKE_INSTALL_RPATH='$ORIGIN' \
        -DWITH_PNG=ON -DWITH_JPEG=ON -DBUILD_PNG=OFF -DBUILD_JPEG=OFF -DBUILD_ZLIB=OFF \
        -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENEXR=OFF -DWITH_JASPER=OFF -DWITH_OPENJPEG=OFF -DWITH_GDAL=OFF \
        -DWITH_GDCM=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=OFF \
        -DWITH_IMGCODEC_PFM=OFF -DWITH_TBB=OFF -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_IPP=OFF -DWITH_ITT=OFF \
        -DWITH_OPENCL=OFF -DWITH_OPENMP=OFF -DWITH_PTHREADS_PF=ON -DWITH_CUDA=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF \
        -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_GTK=OFF -DWITH_QT=OFF \
        -DWITH_PROTOBUF=OFF -DWITH_QUIRC=OFF -DWITH_ADE=OFF -DWITH_OBSENSOR=OFF -DOPENCV_GENERATE_PKGCONFIG=OFF \
        -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_opencv_apps=OFF -DBUILD_JAVA=OFF \
        -DBUILD_opencv_python2=OFF -DBUILD_opencv_python3=OFF -DOPENCV_PYTHON_SKIP_DETECTION=ON -DBUILD_DOCS=OFF \
        -DINSTALL_C_EXAMPLES=OFF > "$cache/opencv-configure.log" 2>&1 || { tail -n 40 "$cache/opencv-configure.log"; exit 1; }
  cmake --build "$cache/opencv-build" -j "$(nproc)" > "$cache/opencv-build.log" || { tail -n 40 "$cache/opencv-build.log"; exit 1; }
  cmake --install "$cache/opencv-build" > /dev/null
}

build() {
  local started=$SECONDS
  source <(sed -n '/^PACKAGES=(/,/)$/p' scripts/setup.sh)
  scripts/install-packages.sh "${PACKAGES[@]}" python3-venv python3-pip
  local venv torch_cmake
  venv=$(scripts/install-torch-pypi.sh | tail -n 1)
  torch_cmake=$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
  grep -qx "/$kit_dir/" .git/info/exclude 2> /dev/null || echo "/$kit_dir/" >> .git/info/exclude
  mkdir -p "$cache"
  local t=$SECONDS
  build_opencv
  echo "gpu-kit: OpenCV $opencv_version (core, imgproc, imgcodecs) in $cache/opencv ($((SECONDS - t)) s)"
  # scoregen against PyPI's torch: fmt from torch's own headers and toml++ compiled in (header-only), cxxopts and
  # Boost.DLL are header-only; Debian's gloo headers serve ProcessGroupGloo.hpp (torch's wheel has none).
  t=$SECONDS
  cmake -S . -B "$cache/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_BUILD_TESTS=OFF \
        -DCMAKE_PREFIX_PATH="$torch_cmake" -DOpenCV_DIR="$root/$cache/opencv/lib/cmake/opencv4" \
        -DSCOREGEN_HEADER_ONLY_TOML=ON -DSCOREGEN_TORCH_RPATH="$GPU_TORCH_LIB" > "$cache/configure.log" 2>&1 || { tail -n 40 "$cache/configure.log"; exit 1; }
  grep '^-- scoregen:' "$cache/configure.log"
  cmake --build "$cache/build" -j "$(nproc)" --target scoregen_cli device_agreement_bench score_sde_network_bench
  echo "gpu-kit: scoregen built ($((SECONDS - t)) s)"
  rm -rf "$kit"
  mkdir -p "$kit/bin" "$kit/lib/scoregen/plugins" "$kit/data/fashion-mnist"
  cp "$cache/build/bin/scoregen" "$cache/build/bin/device_agreement_bench" "$cache/build/bin/score_sde_network_bench" "$kit/bin/"
  cp -P "$cache"/build/lib/libscoregen.so* "$kit/lib/"
  cp "$cache"/build/lib/scoregen/plugins/*.so "$kit/lib/scoregen/plugins/"
  # the benchmarks find their libraries in ../lib too
  cp -P "$cache"/opencv/lib/libopencv_{core,imgproc,imgcodecs}.so.* "$kit/lib/"
  # what OpenCV and the engine load that the base system may lack: Debian's libpng, libjpeg and libcrypto
  local lib
  for lib in libpng16.so.16 libjpeg.so.62 libcrypto.so.3; do
    cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$kit/lib/$lib"
  done
  find "$kit/bin" "$kit/lib" -type f -exec strip --strip-unneeded {} +
  # Fashion-MNIST's test set (4.4 MB; the 26 MB training file stays here): the throughput check trains on it
  cp /usr/share/datasets/fashion-mnist/t10k-{images-idx3,labels-idx1}-ubyte.gz "$kit/data/fashion-mnist/"
  if [ -n "${SCORE_SDE:-}" ]; then
    mkdir -p "$kit/score_sde"
    (cd "$SCORE_SDE" && cp -r --parents models/*.py op/*.py sde_lib.py "$root/$kit/score_sde/")
  fi
  echo "gpu-kit: $kit is $(du -sh "$kit" | cut -f1) (built in $((SECONDS - started)) s)"
  check
}

# Every ELF file of the kit, and what the dynamic loader resolves each to, with torch's folder on the search path.
resolved_libraries() {
  local torch_lib=$1 f
  find "$kit" -type f \( -name '*.so*' -o -path "$kit/bin/*" \) | sort | while read -r f; do
    LD_LIBRARY_PATH="$torch_lib" ldd "$f" | awk -v f="$f" '{print f "\t" $0}'
  done
}

check() {
  local venv torch_lib torch_root bad=0
  venv=$(scripts/install-torch-pypi.sh | tail -n 1)
  torch_lib=$("$venv/bin/python" -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib
  torch_root=$(dirname "$(dirname "$torch_lib")")  # site-packages: torch/ and the nvidia/ libraries it loads
  # 1. ldd: each library resolves inside the kit, torch's folders or the base system; nothing is missing.
  while IFS=$'\t' read -r file line; do
    name=$(awk '{print $1}' <<< "$line")
    path=$(awk '/=>/ {print $3} !/=>/ {print $1}' <<< "$line")
    if [[ $line == *"not found"* ]]; then
      echo "gpu-kit check: $file: $name not found"; bad=1
    elif [[ $path == "$root/$kit/"* || $path == "$torch_root/"* || $path != /* ]]; then
      :
    elif [[ $(basename "$path") =~ $base_system ]]; then
      :
    else
      echo "gpu-kit check: $file loads $path, outside the kit, torch and the base system"; bad=1
    fi
  done < <(resolved_libraries "$torch_lib" | sed "s#$kit/#$root/$kit/#")
  [ $bad = 0 ] || { echo "gpu-kit check: FAILED (ldd)"; return 1; }
  echo "gpu-kit check: every library of $(find "$kit" -type f \( -name '*.so*' -o -path "$kit/bin/*" \) | wc -l) ELF files resolves inside the kit, torch's folders or the base system"
  # 2. The binary runs with Debian's OpenCV, fmt, toml++, gloo and LibTorch hidden (bind-mounted over by an empty
  #    file, in a mount namespace of its own): it samples the toy model on the CPU and reads the shipped VP model.
  local hidden
  hidden=$(find /usr/lib/x86_64-linux-gnu -maxdepth 1 \( -name 'libopencv_*' -o -name 'libfmt*' -o -name 'libtomlplusplus*' \
           -o -name 'libgloo*' -o -name 'libtorch*' -o -name 'libc10*' -o -name 'libcaffe2*' \) | wc -l)
  local out=$cache/check
  rm -rf "$out" && mkdir -p "$out"
  unshare -m bash -c '
    set -e
    for f in /usr/lib/x86_64-linux-gnu/{libopencv_,libfmt,libtomlplusplus,libgloo,libtorch,libc10,libcaffe2}*; do
      [ -e "$f" ] && mount --bind /dev/null "$f"
    done
    export LD_LIBRARY_PATH='"$torch_lib"'
    k='"$kit"'
    $k/bin/scoregen --version
    $k/bin/scoregen sample pipelines/oracle_mixture.toml --num 256 --steps 50 --out '"$out"'/toy.png -q
    $k/bin/scoregen sample --checkpoint share/models/fashion_mnist_vp.pt --num 4 --sampler dpm-solver++ --steps 5 \
                        --set data.root="\"$PWD/$k/data/fashion-mnist\"" --set data.split="\"t10k\"" --out '"$out"'/vp.png -q
    # and they were hidden: each reads as an empty file here
    for f in /usr/lib/x86_64-linux-gnu/{libopencv_core,libfmt,libtomlplusplus,libtorch_cpu}.so*; do
      [ ! -s "$f" ] || { echo "$f is not hidden"; exit 3; }
    done
  ' > "$out/log" 2>&1 || { cat "$out/log"; echo "gpu-kit check: FAILED (the kit's binary with Debian's libraries hidden)"; return 1; }
  [ -s "$out/toy.png" ] && [ -s "$out/vp.png" ] || { cat "$out/log"; echo "gpu-kit check: FAILED (no picture)"; return 1; }
  echo "gpu-kit check: $(head -n 1 "$out/log"); sampled the toy model and the shipped VP model on the CPU with $hidden of Debian's OpenCV/fmt/toml++/gloo/LibTorch files hidden"
  echo "gpu-kit check: passed; carry $kit ($(du -sh "$kit" | cut -f1); with the working tree $(( ($(git ls-files -z | xargs -0 du -cb 2> /dev/null | tail -n 1 | cut -f1) + $(du -sb "$kit" | cut -f1)) / 1048576 )) MiB of the 64 MiB)"
}

# On the GPU machine: each check a step (its output in gpu-kit.log, its exit status and seconds in gpu-kit.json);
# a failing step does not stop the others. About 3 minutes on one H200.
run() {
  local out=${OUT:-$root/$kit_dir/out} dev=${GPU_KIT_DEVICE:-cuda}
  # the sizes of docs/gpu.md; GPU_KIT_SMALL=1 shrinks them for a run of the script's logic on a CPU
  local steps=300 cpu_steps=20 num=64 sde_n=200 smc_n=100 net_batch=128 runs=5 nll_num=16
  [ -n "${GPU_KIT_SMALL:-}" ] && { steps=4; cpu_steps=2; num=4; sde_n=50; smc_n=50; net_batch=2; runs=1; nll_num=2; }
  [ -x "$kit/bin/scoregen" ] || { echo "gpu-kit run: no $kit here: make it with 'scripts/gpu-kit.sh build' and carry it" >&2; exit 2; }
  mkdir -p "$out"
  local tmp log=$out/gpu-kit.log sg=$root/$kit/bin/scoregen
  tmp=$(mktemp -d)
  : > "$log"
  local py=${GPU_KIT_PYTHON:-} torch_lib
  if [ -z "$py" ]; then  # the Python of GPU_TORCH_LIB (VENV/lib/pythonX.Y/site-packages/torch/lib), else python3
    local venv=${GPU_TORCH_LIB%/lib/python3*/site-packages/torch/lib}
    py=python3
    [ -x "$venv/bin/python3" ] && py=$venv/bin/python3
  fi
  # the kit was built against torch 2.11.0: another torch's libraries would be loaded in its place
  torch_lib=$("$py" -c 'import torch, os, sys
if not torch.__version__.startswith("2.11."): sys.exit(f"gpu-kit run: {sys.executable} has torch {torch.__version__}; the kit needs 2.11")
print(os.path.dirname(torch.__file__))')/lib
  export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # the shipped models' pipelines read Fashion-MNIST's training file, which stays here: the kit has the test set
  local data=(--set "data.root=\"$root/$kit/data/fashion-mnist\"" --set 'data.split="t10k"')
  local vp=share/models/fashion_mnist_vp.pt
  # the summary, rewritten after every step: a run cut short still leaves what it measured
  cat > "$tmp/summarize.py" <<'PY'
import csv, json, re, sys
tmp, out, dev = sys.argv[1:]
steps = {r[0]: {"exit": int(r[1]), "seconds": int(r[2])} for r in csv.reader(open(f"{tmp}/steps.tsv"), delimiter="\t")}
text = {name: open(f"{tmp}/{name}.log", errors="replace").read() for name in steps}
def last_json(name):
    for line in reversed(text.get(name, "").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None
def found(name, pattern, cast=float):
    m = re.findall(pattern, text.get(name, ""))
    return cast(m[-1]) if m else None
summary = {"device": dev, "steps": steps,
           "environment": [l for n in ("torch", "scoregen", "gpus") for l in text.get(n, "").strip().splitlines()]}
summary["score_vs_cpu"] = last_json("score")
for name in ("train_device", "train_cpu", "torchrun_nccl"):
    summary[name + "_steps_per_s"] = found(name, r"\(([0-9.]+) steps/s")
summary["torchrun_group"] = found("torchrun_nccl", r"scoregen: (world size .*)", str)
for name in ("sample_device", "sample_cpu", "sample_device_bf16", "smc_inpainting_device"):
    summary[name] = last_json(name)
nll = {name: last_json(name) for name in ("nll_device", "nll_cpu")}
summary["nll"] = nll
def per_example(path):
    rows = [r for r in csv.reader(open(path)) if r and r[0][:1].isdigit()]
    return [float(r[2]) for r in rows]
try:
    a, b = per_example(f"{tmp}/nll_device.csv"), per_example(f"{tmp}/nll_cpu.csv")
    summary["nll_bits_per_dim_largest_difference"] = max(abs(x - y) for x, y in zip(a, b)) if a and a == a else None
except (OSError, ValueError, IndexError):
    summary["nll_bits_per_dim_largest_difference"] = None
for name in ("ncsnpp_forward_device", "ncsnpp_train_step_device", "score_sde_train_step_device"):
    summary[name] = [line for line in text.get(name, "").splitlines() if " ms per " in line]
summary["all_passed"] = all(s["exit"] == 0 for s in steps.values())
json.dump(summary, open(out, "w"), indent=1)
print(json.dumps({k: v for k, v in summary.items() if k != "steps"}, indent=1))
PY
  step() {  # step NAME COMMAND...: runs it (4 minutes at most), its output to $tmp/NAME.log and the combined log
    local name=$1 started=$SECONDS rc=0
    shift
    echo "== $name: $*" >> "$log"
    timeout 240 "$@" > "$tmp/$name.log" 2>&1 || rc=$?
    cat "$tmp/$name.log" >> "$log"
    printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - started))" >> "$tmp/steps.tsv"
    echo "gpu-kit run: $name: exit $rc, $((SECONDS - started)) s"
    "$py" "$tmp/summarize.py" "$tmp" "$out/gpu-kit.json" "$dev" > /dev/null || true
  }
  step torch "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.device_count())'
  step scoregen "$sg" --version
  [ "$dev" = cuda ] && step gpus nvidia-smi -L
  step score "$root/$kit/bin/device_agreement_bench" "$vp" "$dev" "$num" "$runs" \
       "data.root=\"$root/$kit/data/fashion-mnist\"" 'data.split="t10k"'
  step train_device "$sg" train pipelines/fashion_mnist_vp.toml "${data[@]}" --device "$dev" --steps "$steps" \
       --out "$tmp/train-device"
  step train_cpu "$sg" train pipelines/fashion_mnist_vp.toml "${data[@]}" --device cpu --steps "$cpu_steps" \
       --out "$tmp/train-cpu"
  step sample_device "$sg" sample --checkpoint "$vp" "${data[@]}" --device "$dev" --num "$num" --set sde.N="$sde_n" \
       --set 'sampler.corrector="none"' --out "$out/samples_$dev.png" --json
  step sample_cpu "$sg" sample --checkpoint "$vp" "${data[@]}" --device cpu --num "$num" --set sde.N="$sde_n" \
       --set 'sampler.corrector="none"' --out "$tmp/samples_cpu.png" --json
  step sample_device_bf16 "$sg" sample --checkpoint "$vp" "${data[@]}" --device "$dev" --precision bf16 --num "$num" \
       --sampler dpm-solver++ --steps 10 --out "$tmp/samples_bf16.png" --json
  step nll_device "$sg" nll --checkpoint "$vp" "${data[@]}" --device "$dev" --num "$nll_num" --json \
       --out "$tmp/nll_device.csv"
  step nll_cpu "$sg" nll --checkpoint "$vp" "${data[@]}" --device cpu --num "$nll_num" --json --out "$tmp/nll_cpu.csv"
  step smc_known "$sg" sample --checkpoint "$vp" "${data[@]}" --num 1 --sampler dpm-solver++ --steps 10 \
       --out "$tmp/known.npy"
  step smc_inpainting_device "$sg" inpaint --checkpoint "$vp" "${data[@]}" --device "$dev" --image "$tmp/known.npy" \
       --mask bottom-half --method smc --particles 8 --num 4 --set sde.N="$smc_n" --out "$tmp/smc.png" --json
  step ncsnpp_forward_device "$root/$kit/bin/score_sde_network_bench" 1 "$net_batch" "$runs" "$dev" forward
  step ncsnpp_train_step_device "$root/$kit/bin/score_sde_network_bench" 1 "$net_batch" "$runs" "$dev" train
  if [ -d "$kit/score_sde" ]; then
    step score_sde_train_step_device "$py" bench/score_sde_forward.py "$kit/score_sde" 1 "$net_batch" "$runs" "$dev" train
  fi
  local gpus=1  # one rank per GPU: a group of one over NCCL on a one-GPU machine
  [ "$dev" = cuda ] && gpus=$("$py" -c 'import torch; print(max(1, torch.cuda.device_count()))')
  step torchrun_nccl "$py" -m torch.distributed.run --standalone --nproc_per_node "$gpus" --no_python -- "$sg" train \
       pipelines/fashion_mnist_vp.toml "${data[@]}" --device "$dev" --steps "$steps" --out "$tmp/train-nccl"
  "$py" "$tmp/summarize.py" "$tmp" "$out/gpu-kit.json" "$dev"
  rm -rf "$tmp"
}

case "${1:-}" in
  build) build ;;
  check) check ;;
  run) run ;;
  *) echo "usage: scripts/gpu-kit.sh build|check|run" >&2; exit 2 ;;
esac
