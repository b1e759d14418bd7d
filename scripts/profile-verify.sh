#!/usr/bin/env bash
# Profiles billkeyd's POST /payments/complete: instructions (callgrind) or CPU time per verification.
# usage: scripts/profile-verify.sh [callgrind|cpu] [verifications, default 500]   (as root)
#
# A Release build with symbols (build-profile/, or BILLKEY_BIN) runs against the shared harness's
# static nginx upstream (SHARED_BENCH, default ../shared/bench) and a private PostgreSQL, all on
# loopback. Registrations are made through POST /api/checkouts; 300 are completed as a warm-up,
# then N fresh ones on 8 keep-alive connections while
#   callgrind  billkeyd runs under valgrind --tool=callgrind, instrumented only during those N:
#              prints instructions per request and leaves the profile for callgrind_annotate;
#   cpu        billkeyd runs as is: prints its CPU time (utime+stime) per verification.
# Instruction counts do not depend on the machine's load, unlike CPU time on shared cores.
# Output goes to $PROFILE_DIR (default /tmp/billkey-profile.XXXXXX); processes are stopped by pid.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-callgrind}
count=${2:-500}
shared=${SHARED_BENCH:-$root/../shared/bench}
case "$mode" in callgrind | cpu) ;; *) echo "profile-verify: mode is callgrind or cpu" >&2; exit 2 ;; esac
[ -f "$shared/upstream/nginx.conf.in" ] || { echo "profile-verify: no shared harness at $shared" >&2; exit 1; }
for c in nginx wrk node psql curl; do command -v "$c" >/dev/null || { echo "profile-verify: needs $c" >&2; exit 1; }; done
[ "$mode" = cpu ] || command -v valgrind >/dev/null || { echo "profile-verify: needs valgrind" >&2; exit 1; }

if [ -z "${BILLKEY_BIN:-}" ]; then
  cmake -S "$root" -B "$root/build-profile" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g >/dev/null
  cmake --build "$root/build-profile" -j"$(nproc)" --target billkeyd >/dev/null
  BILLKEY_BIN="$root/build-profile/billkeyd"
fi
work=${PROFILE_DIR:-$(mktemp -d /tmp/billkey-profile.XXXXXX)}
mkdir -p "$work/nginx/tmp"
chmod 755 "$work" # PostgreSQL runs as another user when this runs as root (scripts/pg.sh)

token=9a8c0e7f5b3d1a2c4e6f8091a3b5c7d9e1f20314 # what the static upstream hands out
api_key=bk_profile_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  bash "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

db=$(bash "$root/scripts/pg.sh" start "$work/pg")
up=$(free_port)
port=$(free_port)
sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@PORT@|$up|g" -e "s|@WORKERS@|1|g" -e "s|@TOKEN@|$token|g" \
  -e "s|@EXPIRED_AT@|$(($(date +%s) + 86400 * 365))|g" -e "s|@AMOUNT@|9900|g" -e "s|@NAME@|profile|g" \
  "$shared/upstream/nginx.conf.in" >"$work/nginx/nginx.conf"
: >"$work/nginx/map_merchant_uid.conf"
: >"$work/nginx/map_customer_uid.conf"
nginx -e "$work/nginx/error.log" -p "$work/nginx/" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")

valgrind=()
[ "$mode" = callgrind ] && valgrind=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out")
(cd "$root" && exec env PORT="$port" LISTEN_ADDR=127.0.0.1 DATABASE_URL="$db" \
  IAMPORT_BASE_URL="http://127.0.0.1:$up" IAMPORT_API_KEY=profile-key IAMPORT_API_SECRET=profile-secret-value \
  BILLKEY_API_KEYS="profile:$api_key" PUBLIC_BASE_URL="http://127.0.0.1:$port" \
  VERIFY_RATE_PER_MINUTE=0 PER_IP_CONNECTION_LIMIT=0 "${valgrind[@]}" "$BILLKEY_BIN") >"$work/billkeyd.log" 2>&1 &
bk_pid=$!
pids+=("$bk_pid")
for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
curl -fs -o /dev/null "http://127.0.0.1:$port/readyz" || { echo "profile-verify: billkeyd not ready" >&2; tail "$work/billkeyd.log" >&2; exit 1; }

node "$shared/lib/mkcheckouts.js" "http://127.0.0.1:$port" "$api_key" $((count + 300)) cust_p_ 9900 profile \
  "$work/checkouts" 8 2>"$work/mkcheckouts.log"
awk 'BEGIN { OFS = "\t" } { printf "imp_00%010d\t%s\t%s\n", NR - 1, $1, $NF }' "$work/checkouts" >"$work/all"
awk '{ printf "%s \"%s\";\n", $1, $2 }' "$work/all" >"$work/nginx/map_merchant_uid.conf"
awk '{ printf "%s \"%s\";\n", $1, $3 }' "$work/all" >"$work/nginx/map_customer_uid.conf"
kill -HUP "$nginx_pid"
sleep 3
head -n 300 "$work/all" >"$work/warm"
tail -n +301 "$work/all" >"$work/measured"

# wrk sends each listed verification once; its script marks the file done when all have answered
cat >"$work/once.lua" <<'EOF'
local bodies, n, sent, got, marker
function init(args)
  bodies, marker = {}, args[2]
  for line in io.lines(args[1]) do
    local imp, mid = line:match("^(%S+)\t(%S+)")
    if imp then bodies[#bodies + 1] = '{"imp_uid":"' .. imp .. '","merchant_uid":"' .. mid .. '"}' end
  end
  n, sent, got = #bodies, 0, 0
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  sent = sent + 1
  return wrk.format("POST", "/payments/complete", nil, bodies[((sent - 1) % n) + 1])
end
function response(status)
  got = got + 1
  if got == n then local f = io.open(marker, "w"); f:write("done\n"); f:close() end
end
EOF
drive() {
  rm -f "$work/$1.done"
  wrk -t1 -c8 -d3600s --timeout 60s -s "$work/once.lua" "http://127.0.0.1:$port" -- "$work/$1" "$work/$1.done" \
    >"$work/wrk.$1" 2>&1 &
  local wrk_pid=$!
  while [ ! -f "$work/$1.done" ] && kill -0 "$wrk_pid" 2>/dev/null; do sleep 0.1; done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" || true
}
requests() { grep -c '"path":"/payments/complete"' "$work/billkeyd.log" || true; }
keys() { psql -X -q -t -A "$db" -c "SELECT count(*) FROM billing_keys"; }
ticks() { awk '{ print $14 + $15 }' "/proc/$bk_pid/stat"; }

drive warm
sleep 1
keys0=$(keys)
req0=$(requests)
ticks0=$(ticks)
[ "$mode" = callgrind ] && callgrind_control -z "$bk_pid" >/dev/null 2>&1 && callgrind_control -i on "$bk_pid" >/dev/null 2>&1
drive measured
[ "$mode" = callgrind ] && callgrind_control -d "$bk_pid" >/dev/null 2>&1 && callgrind_control -i off "$bk_pid" >/dev/null 2>&1
sleep 0.5
ticks1=$(ticks)
verified=$(($(keys) - keys0))
answered=$(($(requests) - req0))
echo "profile-verify: $verified fresh verifications ($answered requests answered) in $work"
if [ "$mode" = cpu ]; then
  echo "billkeyd CPU: $(((ticks1 - ticks0) * 1000000 / $(getconf CLK_TCK) / verified)) us per verification"
else
  total=$(callgrind_annotate "$work/callgrind.out.1" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  echo "billkeyd instructions: $((total / answered)) per request (callgrind_annotate $work/callgrind.out.1)"
fi
