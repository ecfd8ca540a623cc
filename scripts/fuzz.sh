#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with AddressSanitizer + UndefinedBehaviorSanitizer) into their
# own folder and runs each for SECONDS (default 30) on a copy of its seed corpus (tests/fuzz/corpus/<target>/).
# Fails when any target finds a crash, a sanitizer report, an exception other than scoregen::Error, a hang or
# runaway memory; the input that did it is kept as FUZZ_BUILD_DIR/findings/<target>-crash-... (docs/hardening.md:
# how to reproduce one).
#   scripts/fuzz.sh [SECONDS]        FUZZ_BUILD_DIR=build-fuzz JOBS=$(nproc) by default
# Targets: pipeline parser with --set overrides, .npy reader, .npz reader, IDX reader, checkpoint loader, image/mask loader.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-$(nproc)}
TARGETS=(pipeline_parser_fuzz npy_reader_fuzz npz_reader_fuzz idx_reader_fuzz checkpoint_loader_fuzz image_loader_fuzz)
scripts/install-packages.sh clang libclang-rt-dev  # clang++ and its libFuzzer runtime
# LeakSanitizer off: LibTorch keeps per-process state (dispatcher tables, the TorchScript types of every archive
# loaded: checkpoint_loader_fuzz passed 2 GB within a minute with LeakSanitizer on) that is not ours to free; short runs
# of the other targets with it on reported nothing.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1
export OPENCV_LOG_LEVEL=OFF  # the image decoders' messages on every malformed input

started=$SECONDS
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DSCOREGEN_FUZZ=ON \
      -DSCOREGEN_BUILD_TESTS=OFF -DSCOREGEN_BUILD_BENCH=OFF > /dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target scoregen_fuzz_targets
built=$((SECONDS - started))

findings="$BUILD_DIR/findings"
mkdir -p "$findings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${TARGETS[@]}"; do
  cp -r "tests/fuzz/corpus/$t" "$work/$t"  # the committed corpus stays as it is
  echo "fuzz: $t for ${seconds} s"
  # -timeout: one input taking 60 s is a hang (on a machine shared with builds, inputs that take 50 ms alone
  # were seen to take over 20 s); -rss_limit_mb: runaway memory (an allocation sized by the input);
  # -keep_seed: OpenCV, zlib and LibTorch are not instrumented, so seeds that differ only inside them look alike
  # to libFuzzer, which would drop all but one
  if ! "$BUILD_DIR/bin/$t" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -keep_seed=1 -print_final_stats=1 \
       -artifact_prefix="$findings/$t-" "$work/$t" > "$work/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$work/$t.log"
  fi
  grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units)" "$work/$t.log" | tail -n 2 || true
done
echo "fuzz: build ${built} s, ${#TARGETS[@]} targets x ${seconds} s, total $((SECONDS - started)) s"
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]} (inputs in $findings)" >&2
  exit 1
fi
