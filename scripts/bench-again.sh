#!/usr/bin/env bash
# Benchmarks POST /subscribe/payments/again through billkey against the same call straight at the
# iamport sandbox, at the same concurrency in one run, on loopback: throughput, latency, the CPU
# billkeyd adds per call and the PostgreSQL transactions per charge.
# usage: scripts/bench-again.sh [seconds per run, default 10] [connections, default 16]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/deps.sh bench
secs=${1:-10}
conns=${2:-16}
key_name=bench
key=bench-key-0123456789abcdef
customer_uid=cu_payco_bench0000000000000000000001

build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target billkeyd iamport-sandbox >/dev/null

work=$(mktemp -d /tmp/billkey-bench-again.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  bash "$root/scripts/pg.sh" stop "$work" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_port_line() { # LOGFILE: the "port" of its "listening" line
  for _ in $(seq 1 100); do grep -q '"listening"' "$1" 2>/dev/null && break; sleep 0.05; done
  grep -o '"port":[0-9]*' "$1" | head -1 | cut -d: -f2
}
cpu_ticks() { # PID: user + system clock ticks so far
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
psql_value() {
  psql "$DATABASE_URL" -XAtq -c "$1"
}

DATABASE_URL=$(bash "$root/scripts/pg.sh" start "$work")
export DATABASE_URL

"$build/iamport-sandbox" --port 0 --port-file "$work/sandbox.port" 2>"$work/sandbox.log" &
sbpid=$!
pids+=("$sbpid")
for _ in $(seq 1 100); do [ -s "$work/sandbox.port" ] && break; sleep 0.05; done
sandbox="http://127.0.0.1:$(cat "$work/sandbox.port")"

IAMPORT_BASE_URL=$sandbox IAMPORT_API_KEY=imp_sandbox_key IAMPORT_API_SECRET=imp_sandbox_secret \
  BILLKEY_API_KEYS="$key_name:$key" PORT=0 LISTEN_ADDR=127.0.0.1 LOG_LEVEL=info \
  PER_IP_CONNECTION_LIMIT=0 \
  STATIC_DIR="$root/static" "$build/billkeyd" 2>"$work/billkeyd.log" &
bkpid=$!
pids+=("$bkpid")
billkey="http://127.0.0.1:$(wait_port_line "$work/billkeyd.log")"
for _ in $(seq 1 100); do curl -fs "$billkey/readyz" >/dev/null && break; sleep 0.1; done

# The sandbox keeps every payment in memory and its work grows with them: each run starts from
# an empty sandbox holding just the billing key.
fresh_sandbox() {
  curl -fs -XPOST "$sandbox/__sandbox/reset" >/dev/null
  curl -fs -XPOST "$sandbox/__sandbox/customers" -H 'Content-Type: application/json' \
    -d "{\"customer_uid\":\"$customer_uid\",\"pg_provider\":\"payco\"}" >/dev/null
}
# One active PAYCO billing key, at the sandbox and in billkey's tables (as issuance leaves it).
fresh_sandbox
psql_value "INSERT INTO registrations (merchant_uid, customer_uid, customer_id, pg_provider, pg,
    pay_method, amount, window_amount, name, charge_now, status, imp_uid, created_by)
  VALUES ('bk_bench', '$customer_uid', 'bench', 'payco', 'payco', 'card', 0, 0, 'bench', false,
    'active', 'imp_bench', 'bench');
  INSERT INTO billing_keys (customer_uid, customer_id, pg_provider, pg)
  VALUES ('$customer_uid', 'bench', 'payco', 'payco');"
sandbox_token=$(curl -fs -XPOST "$sandbox/users/getToken" -H 'Content-Type: application/json' \
  -d '{"imp_key":"imp_sandbox_key","imp_secret":"imp_sandbox_secret"}' |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')

cat >"$work/again.lua" <<LUA
-- Every request a new merchant_uid: "<run>_<thread>_<n>".
local counter, id = 0, 0
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) id = wrk.thread:get("id"); run = args[1] end
function request()
  counter = counter + 1
  local body = string.format(
    '{"customer_uid":"$customer_uid","merchant_uid":"%s_%d_%d","amount":1000,"name":"bench"}',
    run, id, counter)
  return wrk.format("POST", "/subscribe/payments/again",
    {["Content-Type"] = "application/json", ["Authorization"] = wrk.headers["Authorization"]}, body)
end
LUA

run() { # NAME URL AUTH: prints requests, then the wrk summary lines
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/again.lua" -H "Authorization: $3" "$2" -- "$1" \
    >"$work/$1.wrk"
}
summary() { # NAME
  grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx|Socket errors' "$work/$1.wrk" | sed 's/^/  /'
}
requests() { # NAME: completed requests
  grep -Eo '[0-9]+ requests in' "$work/$1.wrk" | awk '{ print $1 }'
}

hz=$(getconf CLK_TCK)
echo "billkey again bench: $(nproc) cores, ${secs}s per run, wrk -t2 -c$conns, request logging on"

sb0=$(cpu_ticks "$sbpid")
run direct "$sandbox" "Bearer $sandbox_token"
sb1=$(cpu_ticks "$sbpid")
n_direct=$(requests direct)
echo "== again straight at the sandbox"
summary direct

fresh_sandbox
# billkeyd's first call after a reset refreshes its token once (a 401, then getToken): warm it.
curl -fs -XPOST "$billkey/subscribe/payments/again" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' \
  -d "{\"customer_uid\":\"$customer_uid\",\"merchant_uid\":\"warm_up\",\"amount\":1000}" >/dev/null
x0=$(psql_value "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
sb2=$(cpu_ticks "$sbpid")
bk0=$(cpu_ticks "$bkpid")
run billkey "$billkey" "Bearer $key"
bk1=$(cpu_ticks "$bkpid")
sb3=$(cpu_ticks "$sbpid")
sleep 1 # pg_stat_database is updated when backends report, at most every 500 ms
x1=$(psql_value "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
n_billkey=$(requests billkey)
echo "== again through billkey"
summary billkey

paid=$(psql_value "SELECT count(*) FROM payments WHERE kind = 'again' AND status = 'paid'
  AND merchant_uid LIKE 'billkey%'")
ledger=$(curl -fs "$sandbox/__sandbox/ledger" | grep -o '"count":[0-9]*' | awk -F: '$2 > 1' | wc -l)
awk -v hz="$hz" -v nd="$n_direct" -v nb="$n_billkey" -v sbd=$((sb1 - sb0)) \
    -v sbb=$((sb3 - sb2)) -v bk=$((bk1 - bk0)) -v xa=$((x1 - x0)) -v paid="$paid" -v dup="$ledger" 'BEGIN {
  printf "== per call\n"
  printf "  sandbox CPU: %.0f us direct, %.0f us behind billkey\n", sbd / hz / nd * 1e6, sbb / hz / nb * 1e6
  printf "  billkeyd CPU added: %.0f us per again\n", bk / hz / nb * 1e6
  printf "  PostgreSQL transactions per charge: %.2f (%d for %d calls)\n", xa / nb, xa, nb
  printf "  ledger: %d again rows paid, %d merchant_uids charged more than once at the sandbox\n", paid, dup
}'
