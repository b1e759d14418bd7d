#!/usr/bin/env bash
# The run command: installs what is missing, builds billkeyd, starts a private PostgreSQL when
# DATABASE_URL is unset and the iamport sandbox when no iamport credentials are given, then serves.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh run

build="$root/build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target billkeyd iamport-sandbox >/dev/null

started_pg=""
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; fi
  if [ -n "$started_pg" ]; then bash "$root/scripts/pg.sh" stop "$started_pg" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -z "${DATABASE_URL:-}" ]; then
  mkdir -p "$root/.pgdata"
  DATABASE_URL=$(bash "$root/scripts/pg.sh" start "$root/.pgdata")
  export DATABASE_URL
  started_pg="$root/.pgdata"
  echo "billkey: private PostgreSQL in .pgdata/ ($DATABASE_URL)" >&2
fi

if [ -z "${IAMPORT_API_KEY:-}" ] && [ -z "${IAMPORT_API_SECRET:-}" ]; then
  mkdir -p "$root/.run"
  rm -f "$root/.run/sandbox.port"
  "$build/iamport-sandbox" --port "${IAMPORT_SANDBOX_PORT:-0}" --port-file "$root/.run/sandbox.port" \
    2>>"$root/.run/sandbox.log" &
  sandbox_pid=$!
  for _ in $(seq 1 100); do [ -s "$root/.run/sandbox.port" ] && break; sleep 0.05; done
  [ -s "$root/.run/sandbox.port" ] || { echo "billkey: iamport-sandbox did not start (see .run/sandbox.log)" >&2; exit 1; }
  sandbox_port=$(cat "$root/.run/sandbox.port")
  export IAMPORT_BASE_URL="http://127.0.0.1:$sandbox_port"
  export IAMPORT_API_KEY=imp_sandbox_key IAMPORT_API_SECRET=imp_sandbox_secret
  # The demo checkout page loads the sandbox's SDK stand-in and may create checkouts without a
  # merchant key (SANDBOX_MODE=1 exists only for this).
  export SANDBOX_MODE=1 IMP_CODE="${IMP_CODE:-imp_sandbox}"
  export IAMPORT_SDK_URL="$IAMPORT_BASE_URL/v1/iamport.js"
  echo "billkey: no iamport credentials given: using the iamport sandbox at $IAMPORT_BASE_URL" >&2
  # With the sandbox, a demo merchant key makes the merchant API usable at once (a key of this
  # run only; with real iamport credentials, BILLKEY_API_KEYS is yours to set).
  if [ -z "${BILLKEY_API_KEYS:-}" ]; then
    demo_key="demo_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    export BILLKEY_API_KEYS="demo:$demo_key"
    echo "billkey: merchant API key for this run: name 'demo', key '$demo_key'" \
      "(Authorization: Bearer <key>, or POST /users/getToken {imp_key: demo, imp_secret: <key>})" >&2
  fi
fi

export STATIC_DIR="${STATIC_DIR:-$root/static}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:${PORT:-8080}}"
echo "billkey: serving on http://localhost:${PORT:-8080}/ (Ctrl-C stops)" >&2
# Foreground: Ctrl-C reaches billkeyd, which shuts down gracefully; the EXIT trap then stops the rest.
"$build/billkeyd"
