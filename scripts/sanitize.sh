#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer: builds scoregen with SCOREGEN_SANITIZE=ON into its own folder and
# runs the unit and CLI tests on it (the binary the CLI tests run, the engine, libscoregen and every plugin are
# instrumented; LibTorch and OpenCV are not). Any report aborts the test that caused it, so the run fails.
#   scripts/sanitize.sh [cli|unit|all]   (default all)   SANITIZE_BUILD_DIR=build-sanitize JOBS=$(nproc) by default
# `cli` builds only the binary, its plugins and the CLI tests; `unit` only the unit tests.
# Run after scripts/setup.sh has installed the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-all}
case "$suite" in
  cli) targets=(--target scoregen_cli_tests); labels=cli ;;
  unit) targets=(--target scoregen_unit_tests); labels=unit ;;
  all) targets=(); labels='unit|cli' ;;
  *) echo "usage: scripts/sanitize.sh [cli|unit|all]" >&2; exit 2 ;;
esac
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize}
JOBS=${JOBS:-$(nproc)}
# Runs every unit and CLI test (ctest -L 'unit|cli'; not the out-of-tree SDK test, which builds a plugin without
# the sanitizers) but these, left out for time: each takes 9 s or more on the normal build (the first over
# 3 minutes), spends it in LibTorch arithmetic, which is not instrumented, and scripts/test.sh has run it already.
# Under ASan every test process also pays a few seconds of start-up (LibTorch and the plugins loaded through the
# interceptors), so the tests that remain (89 CLI tests, 2026-11-27) are what fits.
EXCLUDE='^(Eval\.ShippedModelsAreCloserToTheDataThanTwoPatterns|Eval\.ModelsOnDifferentDataScalesAreJudgedAlike'
EXCLUDE+='|Distributed\..*|Train\.TrainedToyModelSamplesThroughTheCli|Nll\.HutchinsonAgreesWithExactOnATrainedToyModel'
EXCLUDE+='|FastSamplers\.ReachTheExactSampleFloorInFifteenEvaluations|ShippedPipelines\.EveryPipelineRuns'
EXCLUDE+='|PaperFigures\.ALearnedScoreIsPoorWhereTheDataAreSparse|Readme\.EveryScoregenCommandParses'
EXCLUDE+='|Records\.EveryCommandsOutputIsMadeAgainBitForBit|Shell\.CommandTablesAreDocumentedLikePlugins'
EXCLUDE+='|SmcInpainting\..*|SmcColorization\..*'
EXCLUDE+='|Consistency\.DistilledOracleSamplesAtTheExactFloorInOneAndTwoSteps|Consistency\.TrainingWithoutATeacherLearnsTheMixture'
EXCLUDE+='|ScoreSdeScore/.*|ScoreSdeLikelihood\.ImportedModelsPrintScoreSdesBitsPerDim|Interrupts\..*)$'
# LeakSanitizer off (also while the build lists the tests): LibTorch, oneDNN and OpenBLAS keep thread pools and
# caches until exit, and a report there is not ours to fix; which tests it would flag has not been measured yet, and
# a suppressions file naming only those libraries is the stricter follow-up.
# allocator_may_return_null: the user-mistake tests ask for more memory than any machine has on purpose; ASan then
# returns null as glibc does, so they see the same "out of memory" exit 2 instead of ASan's abort.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1

started=$SECONDS
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCOREGEN_SANITIZE=ON -DSCOREGEN_BUILD_BENCH=OFF > /dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
built=$((SECONDS - started))
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure -L "$labels" -E "$EXCLUDE"
echo "sanitize: build ${built} s, tests $((SECONDS - started - built)) s"
