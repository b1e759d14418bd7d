#!/usr/bin/env bash
# Benchmarks billkeyd on loopback with wrk: a release build, a private PostgreSQL, bounded runs.
# usage: scripts/bench.sh [seconds per endpoint, default 10]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
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
