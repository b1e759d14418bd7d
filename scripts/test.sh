#!/usr/bin/env bash
# The test command: installs what is missing, starts a throwaway PostgreSQL, builds with
# -Werror under ASan+UBSan, runs every Check suite (unit, integration, browser) and, from a separate
# clang build, each libFuzzer harness for a few seconds (ctests labelled fuzz), stops what it started.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh test

build="$root/build-test"
cmake -S "$root" -B "$build" -DSANITIZE=ON -DWERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
# The optimiser sees more (format truncation, null arguments): the release build compiles clean too.
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DWERROR=ON >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" >/dev/null
# The libFuzzer harnesses (tests/fuzz/): clang with -fsanitize=fuzzer,address,undefined, in their own
# build so the main build stays gcc. scripts/fuzz.sh runs them longer.
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DFUZZ=ON -DWERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$root/build-fuzz" -j"$(nproc)" --target fuzz_all >/dev/null

# iamport's own Node.js client, as published on npm (versions pinned by package-lock.json).
client="$root/tests/published-client"
if [ ! -f "$client/node_modules/.package-lock.json" ] ||
   [ "$client/package-lock.json" -nt "$client/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$client" --no-audit --no-fund --loglevel=error >/dev/null
fi

pgdir=$(mktemp -d /tmp/billkey-test-pg.XXXXXX)
cleanup() {
  bash "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT INT TERM

BILLKEY_TEST_DATABASE_URL=$(bash "$root/scripts/pg.sh" start "$pgdir")
export BILLKEY_TEST_DATABASE_URL
export BILLKEY_TEST_PGDIR="$pgdir"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}

ctest --test-dir "$build" --output-on-failure -j2 "$@"
ctest --test-dir "$root/build-fuzz" --output-on-failure -j2 "$@"
