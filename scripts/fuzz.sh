#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz/ (built with clang in build-fuzz, -DFUZZ=ON).
# usage: scripts/fuzz.sh [SECONDS [HARNESS...]]   each harness for SECONDS (default 300), under nice,
#                                                built in $FUZZ_BUILD_DIR (default build-fuzz);
#                                                new inputs are kept in build-fuzz/corpus-work/<harness>
#        scripts/fuzz.sh --run BINARY SECONDS SEEDS   one bounded run (what the fuzz ctests call)
# A crash, leak, sanitizer report or timeout fails the run and leaves the input in
# build-fuzz/artifacts/ (or the --run scratch folder, which is then printed): add it to
# tests/fuzz/corpus/<harness>/ and a unit test once it is fixed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# run_one BINARY SECONDS WORK_CORPUS ARTIFACT_DIR SEEDS
run_one() {
  local bin=$1 secs=$2 work=$3 artifacts=$4 seeds=$5
  mkdir -p "$work" "$artifacts"
  # the first folder receives new inputs; the seeds in the repository stay as they are
  nice -n 10 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds"
}

if [ "${1:-}" = --run ]; then
  [ $# -eq 4 ] || { echo "usage: scripts/fuzz.sh --run BINARY SECONDS SEEDS" >&2; exit 2; }
  scratch=$(mktemp -d /tmp/billkey-fuzz.XXXXXX)
  if run_one "$2" "$3" "$scratch/corpus" "$scratch/artifacts" "$4" 2>"$scratch/log"; then
    tail -n 12 "$scratch/log"
    rm -rf "$scratch"
    exit 0
  fi
  tail -n 80 "$scratch/log"
  echo "fuzz: $(basename "$2") failed; inputs kept in $scratch/artifacts" >&2
  exit 1
fi

secs=${1:-300}
shift || true
bash "$root/scripts/deps.sh" test
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
CC=clang cmake -S "$root" -B "$build" -DFUZZ=ON -DWERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
nice cmake --build "$build" -j"$(nproc)" --target fuzz_all
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for f in "$root"/tests/fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for h in "${harnesses[@]}"; do
  echo "fuzz: $h for ${secs}s" >&2
  start=$(date +%s)
  if ! run_one "$build/tests/fuzz/$h" "$secs" "$build/corpus-work/$h" "$build/artifacts/$h" \
         "$root/tests/fuzz/corpus/$h" 2>"$build/$h.log"; then
    status=1
    tail -n 60 "$build/$h.log" >&2
    echo "fuzz: $h FAILED after $(( $(date +%s) - start ))s; inputs in $build/artifacts/$h" >&2
    continue
  fi
  echo "fuzz: $h ok, $(( $(date +%s) - start ))s: $(grep -E '^stat::number_of_executed_units' "$build/$h.log" || true)" >&2
done
exit $status
