#!/usr/bin/env bash
# Benchmarks billkeyd on loopback with wrk: a release build, a private PostgreSQL, bounded runs.
# usage: scripts/bench.sh [seconds per endpoint, default 10]
#        scripts/bench.sh verify [keepalive|close|replay ...]   (as root; see below)
#
# verify: POST /payments/complete against the Node peer, with the shared harness
# (SHARED_BENCH, default ../shared/bench next to the repo; its README explains every figure).
# The harness is copied to a scratch folder and the copy is patched per variant:
#   keepalive  the harness as it is: 32 keep-alive connections, a fresh registration per request;
#   close      every request on a new connection (wrk sends "Connection: close"), as a browser
#              making one verification per connection does;
#   replay     BILLKEY_N=N=REPLAY_N (300) registrations, all completed during the warm-up, so
#              the measured window repeats verifications already recorded (its "fresh" column
#              counts nothing real then).
# Everything else goes to the harness through the environment (REPEAT, SYSTEMS, DURATION, ...);
# BILLKEY_BIN defaults to a Release build in build-bench/. Loopback only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

verify_bench() {
  local shared=${SHARED_BENCH:-$root/../shared/bench} variant copy
  [ -x "$shared/bench.sh" ] || { echo "bench: no shared harness at $shared (set SHARED_BENCH)" >&2; exit 1; }
  if [ -z "${BILLKEY_BIN:-}" ]; then
    cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-bench" -j"$(nproc)" --target billkeyd >/dev/null
    export BILLKEY_BIN="$root/build-bench/billkeyd"
  fi
  export BILLKEY_CWD=${BILLKEY_CWD:-$root}
  export SYSTEMS=${SYSTEMS:-"peer billkey"}
  # wrk's 32 connections all come from 127.0.0.1: lift the per-address limits (as in
  # test_verify_starvation), or the run measures 429s.
  export BILLKEY_ENV=${BILLKEY_ENV:-"VERIFY_RATE_PER_MINUTE=0 PER_IP_CONNECTION_LIMIT=0"}
  for variant in "${@:-keepalive}"; do
    copy=$(mktemp -d /tmp/billkey-verify-bench.XXXXXX)
    cp -r "$shared/." "$copy/"
    case "$variant" in
      keepalive) ;;
      close)
        sed -i 's|^  wrk.headers\["Content-Type"\] = "application/json"$|&\n  wrk.headers["Connection"] = "close"|' \
          "$copy/wrk/complete.lua"
        grep -q '"Connection"\] = "close"' "$copy/wrk/complete.lua" \
          || { echo "bench: cannot patch $copy/wrk/complete.lua for Connection: close" >&2; exit 1; }
        ;;
      replay)
        sed -i 's|wrk_run complete.lua "$port" "$pre.warm"|wrk_run complete.lua "$port" "$pre.run"|' "$copy/bench.sh"
        grep -q 'wrk_run complete.lua "$port" "$pre.run" "$WARMUP_S"' "$copy/bench.sh" \
          || { echo "bench: cannot patch $copy/bench.sh for replays" >&2; exit 1; }
        ;;
      *) echo "bench: unknown variant '$variant' (keepalive, close, replay)" >&2; exit 1 ;;
    esac
    echo "== verification bench, variant $variant"
    if [ "$variant" = replay ]; then
      N=${REPLAY_N:-300} BILLKEY_N=${REPLAY_N:-300} bash "$copy/bench.sh" run
    else
      bash "$copy/bench.sh" run
    fi
    rm -rf "$copy"
  done
}
if [ "${1:-}" = verify ]; then
  shift
  verify_bench "$@"
  exit 0
fi
bash scripts/deps.sh bench
secs=${1:-10}

build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target billkeyd iamport-sandbox >/dev/null

work=$(mktemp -d /tmp/billkey-bench.XXXXXX)
bkpid=""
cleanup() {
  if [ -n "$bkpid" ]; then kill -TERM "$bkpid" 2>/dev/null || true; wait "$bkpid" 2>/dev/null || true; fi
  bash "$root/scripts/pg.sh" stop "$work" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=$(bash "$root/scripts/pg.sh" start "$work")
export DATABASE_URL
export IAMPORT_API_KEY=bench IAMPORT_API_SECRET=bench-secret IAMPORT_BASE_URL=http://127.0.0.1:9
export PORT=0 LISTEN_ADDR=127.0.0.1 LOG_LEVEL=info STATIC_DIR="$root/static"
# wrk's connections all come from one address: no per-address connection limit here.
export PER_IP_CONNECTION_LIMIT=0
# Request logging stays on (to a file), as in production.
"$build/billkeyd" 2>"$work/billkeyd.log" &
bkpid=$!
# PORT=0: read the bound port from the "listening" log line.
for _ in $(seq 1 100); do grep -q '"listening"' "$work/billkeyd.log" 2>/dev/null && break; sleep 0.05; done
port=$(grep -o '"port":[0-9]*' "$work/billkeyd.log" | head -1 | cut -d: -f2 || true)
if [ -z "$port" ]; then echo "bench: billkeyd did not report its port" >&2; cat "$work/billkeyd.log" >&2; exit 1; fi
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

echo "billkey bench: $(nproc) cores, ${secs}s per endpoint, wrk -t2 -c32, request logging on"
for path in /healthz /readyz /static/app.css; do
  echo "== GET $path"
  wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port$path" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
done
