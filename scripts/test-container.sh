#!/usr/bin/env bash
# The container test: builds docker/Dockerfile and proves the image against a real PostgreSQL
# (scripts/pg.sh) and the sandbox container: /readyz and the HEALTHCHECK, config only from the
# environment, a registration and a charge through the container, a non-root process, and a clean
# SIGTERM stop within the shutdown timeout. Never skips: no Docker is a loud failure.
#
# usage: scripts/test-container.sh
# With no Docker daemon answering it starts one with ../shared/tools/docker-local.sh (override with
# DOCKER_LOCAL=path); with a normal Docker it only uses `docker`. The image is tagged
# $BILLKEY_TEST_IMAGE (default billkey:test) and kept, so the next build reuses its layers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

readonly IMAGE=${BILLKEY_TEST_IMAGE:-billkey:test}
readonly DOCKER_LOCAL=${DOCKER_LOCAL:-$root/../shared/tools/docker-local.sh}
readonly SIZE_LIMIT_BYTES=100000000 # "100 MB" as docker reports sizes
readonly SHUTDOWN_TIMEOUT=5         # SHUTDOWN_TIMEOUT_SECONDS given to the container
readonly WAIT_SECONDS=60            # how long to wait for a container to answer
readonly KEY_NAME=ct

fail() {
  printf '\n*** test-container: FAILED: %s ***\n\n' "$*" >&2
  exit 1
}
step() { echo "test-container: $*" >&2; }

bash scripts/deps.sh test # curl, node (JSON), PostgreSQL

work=$(mktemp -d /tmp/billkey-ctest.XXXXXX)
pgdir=$(mktemp -d /tmp/billkey-ctest-pg.XXXXXX) # its own: pg.sh hands it to the cluster's user
run_id="bkct$$"
started_dockerd=""
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    for c in "$run_id-billkeyd" "$run_id-sandbox"; do
      if docker container inspect "$c" >/dev/null 2>&1; then
        echo "--- last log lines of container $c:" >&2
        docker logs --tail 30 "$c" 2>&1 | sed 's/^/    /' >&2 || true
      fi
    done
  fi
  docker rm -f "$run_id-billkeyd" "$run_id-sandbox" >/dev/null 2>&1 || true
  bash "$root/scripts/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work" "$pgdir"
  if [ -n "$started_dockerd" ]; then bash "$DOCKER_LOCAL" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- Docker: the machine's own daemon, else docker-local.sh; never a silent skip ------------
if ! docker info >/dev/null 2>&1; then
  [ -f "$DOCKER_LOCAL" ] ||
    fail "Docker cannot run: no Docker daemon answers 'docker info' and '$DOCKER_LOCAL' (which starts one) does not exist. Install and start Docker; this test is never skipped."
  step "no Docker daemon answers: starting one with $DOCKER_LOCAL"
  bash "$DOCKER_LOCAL" start >&2 || fail "Docker cannot run: '$DOCKER_LOCAL start' failed (see its log)"
  started_dockerd=1
  docker info >/dev/null 2>&1 || fail "Docker cannot run: dockerd was started but 'docker info' still gets no answer"
fi
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  step "pulling debian:bookworm-slim"
  if ! timeout 300 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    [ -f "$DOCKER_LOCAL" ] ||
      fail "cannot pull debian:bookworm-slim (no registry?) and '$DOCKER_LOCAL' is not there to build it"
    step "no registry: building debian:bookworm-slim from Debian packages with $DOCKER_LOCAL"
    bash "$DOCKER_LOCAL" base >&2 || fail "'$DOCKER_LOCAL base' could not make debian:bookworm-slim"
  fi
fi

# ---- the image ------------------------------------------------------------------------------
step "building $IMAGE from docker/Dockerfile (compiles and runs the unit suites)"
if ! docker build --network=host -f docker/Dockerfile -t "$IMAGE" . >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "docker build failed (last lines above)"
fi
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
step "image size: $((size / 1000000)) MB"
[ "$size" -lt "$SIZE_LIMIT_BYTES" ] || fail "the image is $size bytes, over the $SIZE_LIMIT_BYTES limit"
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] ||
  fail "the image's USER is '$(docker image inspect -f '{{.Config.User}}' "$IMAGE")', not 10001:10001"

# Configuration comes only from the environment: with none, billkeyd names what is missing.
set +e
docker run --rm --network=host "$IMAGE" --check-config >"$work/check.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "'billkeyd --check-config' without environment exited $rc, not 2: $(cat "$work/check.out")"
grep -q "DATABASE_URL: required but not set" "$work/check.out" ||
  fail "'--check-config' without environment did not name DATABASE_URL: $(cat "$work/check.out")"

# ---- helpers ----------------------------------------------------------------------------------
# Prints the value of the JavaScript expression $1 over the JSON document on stdin (`o`); strings
# raw, anything else as JSON.
jget() {
  node -e '
    let s = "";
    process.stdin.on("data", d => (s += d)).on("end", () => {
      const v = new Function("o", "return (" + process.argv[1] + ");")(JSON.parse(s));
      process.stdout.write(typeof v === "string" ? v : JSON.stringify(v === undefined ? null : v));
    });' "$1"
}

# A TCP port nothing listens on (from /proc/net/tcp{,6}).
free_port() {
  local used port
  used=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' | sort -u)
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 20000))
    grep -qix "$(printf '%04X' "$port")" <<<"$used" || { echo "$port"; return 0; }
  done
  fail "no free TCP port found"
}

# Waits until `curl $1` answers 200; fails naming what after WAIT_SECONDS.
wait_http_ok() {
  for _ in $(seq 1 $((WAIT_SECONDS * 5))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.2
  done
  fail "$1 did not answer 200 within $WAIT_SECONDS s"
}

# POSTs JSON $2 to $1 with extra curl arguments; sets $status (HTTP) and $body (the answer).
post_json() {
  local url=$1 json=$2
  shift 2
  status=$(curl -s -o "$work/answer" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' --data-binary "$json" "$@" "$url") || status=000
  body=$(cat "$work/answer" 2>/dev/null || true)
}

# ---- PostgreSQL (pg.sh, unix socket) and the sandbox container --------------------------------
DATABASE_URL=$(bash scripts/pg.sh start "$pgdir") || fail "scripts/pg.sh could not start PostgreSQL"
sock=$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$DATABASE_URL")
[ -d "$sock" ] || fail "cannot find the socket directory of '$DATABASE_URL'"
# The container's user (10001) must reach the socket: search permission on its directory only.
chmod 711 "$sock"
export DATABASE_URL

step "starting the sandbox container"
docker run -d --name "$run_id-sandbox" --network=host --no-healthcheck \
  --entrypoint /usr/local/bin/iamport-sandbox "$IMAGE" --port 0 >/dev/null
sandbox_port=""
for _ in $(seq 1 $((WAIT_SECONDS * 5))); do
  sandbox_port=$(docker logs "$run_id-sandbox" 2>&1 | grep '"msg":"listening"' |
    sed -n 's/.*"port":\([0-9]*\).*/\1/p' | head -n1)
  [ -n "$sandbox_port" ] && break
  sleep 0.2
done
[ -n "$sandbox_port" ] || fail "the sandbox container did not log its port"
sandbox="http://127.0.0.1:$sandbox_port"

# ---- billkeyd in the container --------------------------------------------------------------
port=$(free_port)
billkey="http://127.0.0.1:$port"
api_key="ct_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
step "starting billkeyd in the container on $billkey"
# Secrets go in by name (-e NAME), so they never appear on a command line. The root file system
# is read-only: billkeyd writes no file.
IAMPORT_API_KEY=imp_sandbox_key IAMPORT_API_SECRET=imp_sandbox_secret \
  BILLKEY_API_KEYS="$KEY_NAME:$api_key" \
  docker run -d --name "$run_id-billkeyd" --network=host --read-only -v "$sock:$sock" \
  -e DATABASE_URL -e IAMPORT_API_KEY -e IAMPORT_API_SECRET -e BILLKEY_API_KEYS \
  -e IAMPORT_BASE_URL="$sandbox" -e PORT="$port" -e LISTEN_ADDR=127.0.0.1 \
  -e PUBLIC_BASE_URL="$billkey" -e IMP_CODE=imp_sandbox \
  -e SHUTDOWN_TIMEOUT_SECONDS="$SHUTDOWN_TIMEOUT" \
  --health-interval=1s --health-start-period=0s "$IMAGE" >/dev/null

wait_http_ok "$billkey/readyz"
ready=$(curl -s "$billkey/readyz")
[ "$(jget 'o.status' <<<"$ready")" = ready ] || fail "/readyz answered $ready"
step "/readyz: $ready"

# The image's own HEALTHCHECK (docker/healthcheck.sh) must call it healthy.
health=""
for _ in $(seq 1 $((WAIT_SECONDS * 5))); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$run_id-billkeyd")
  [ "$health" = healthy ] && break
  sleep 0.2
done
[ "$health" = healthy ] || fail "the HEALTHCHECK says '$health', not healthy"
step "HEALTHCHECK: healthy"

# Not root: every uid of PID 1 (billkeyd itself), as the kernel sees it.
[ "$(docker exec "$run_id-billkeyd" cat /proc/1/comm)" = billkeyd ] || fail "PID 1 is not billkeyd"
uids=$(docker exec "$run_id-billkeyd" sed -n 's/^Uid:[[:space:]]*//p' /proc/1/status)
gids=$(docker exec "$run_id-billkeyd" sed -n 's/^Gid:[[:space:]]*//p' /proc/1/status)
for id in $uids $gids; do [ "$id" != 0 ] || fail "billkeyd runs with uid/gid 0 (Uid: $uids, Gid: $gids)"; done
step "billkeyd is PID 1 with Uid $uids, Gid $gids"

# ---- a registration and a charge through the container --------------------------------------
post_json "$billkey/api/checkouts" \
  '{"customer_id":"cust-ct","pg":"payco","amount":9900,"name":"월 구독","charge_now":false}' \
  -H "Authorization: Bearer $api_key"
[ "$status" = 201 ] || fail "POST /api/checkouts -> $status: $body"
reg_uid=$(jget 'o.merchant_uid' <<<"$body")
customer_uid=$(jget 'o.customer_uid' <<<"$body")
request_pay=$(jget 'o.request_pay' <<<"$body")
step "checkout $reg_uid for $customer_uid"

# The buyer presses Approve in the sandbox's window (its form post, as the fixtures do).
window=$(curl -s -w '\n%{http_code}' --data-urlencode "params=$request_pay" -d mobile=0 \
  "$sandbox/__sandbox/window/approve")
[ "$(tail -n1 <<<"$window")" = 200 ] || fail "window approve -> $window"
rsp=$(sed '$d' <<<"$window" | tr -d '\n' | sed -n 's:.*<pre id="rsp">\(.*\)</pre>.*:\1:p' |
  sed -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e "s/&#39;/'/g" -e 's/&amp;/\&/g')
[ "$(jget 'o.success' <<<"$rsp")" = true ] || fail "the window did not succeed: $rsp"
imp_uid=$(jget 'o.imp_uid' <<<"$rsp")

post_json "$billkey/payments/complete" "{\"imp_uid\":\"$imp_uid\",\"merchant_uid\":\"$reg_uid\"}"
[ "$status" = 200 ] && [ "$(jget 'o.status' <<<"$body")" = active ] ||
  fail "POST /payments/complete -> $status: $body"
step "registration active (imp_uid $imp_uid)"

post_json "$billkey/users/getToken" "{\"imp_key\":\"$KEY_NAME\",\"imp_secret\":\"$api_key\"}"
token=$(jget 'o.code === 0 ? o.response.access_token : ""' <<<"$body")
[ -n "$token" ] || fail "POST /users/getToken -> $status: $body"

charge_uid="ct-again-$run_id"
post_json "$billkey/subscribe/payments/again" \
  "{\"customer_uid\":\"$customer_uid\",\"merchant_uid\":\"$charge_uid\",\"amount\":4900,\"name\":\"container test\"}" \
  -H "Authorization: $token"
[ "$status" = 200 ] || fail "POST /subscribe/payments/again -> $status: $body"
[ "$(jget '[o.code, o.response && o.response.status, o.response && o.response.amount].join()' <<<"$body")" = "0,paid,4900" ] ||
  fail "POST /subscribe/payments/again did not charge 4900: $body"

# Outcomes: the sandbox charged that merchant_uid once, and billkey's rows say the same.
ledger=$(curl -s "$sandbox/__sandbox/ledger")
got=$(jget "(c => c ? [c.count, c.amount, c.status].join() : 'none')(o.charges['$charge_uid'])" <<<"$ledger")
[ "$got" = "1,4900,paid" ] || fail "sandbox ledger for $charge_uid is '$got', not 1,4900,paid: $ledger"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
got=$(sql "SELECT status FROM registrations WHERE merchant_uid = '$reg_uid'")
[ "$got" = active ] || fail "registrations.status of $reg_uid is '$got', not active"
got=$(sql "SELECT count(*) FROM billing_keys WHERE customer_uid = '$customer_uid'")
[ "$got" = 1 ] || fail "$got billing_keys rows for $customer_uid, not 1"
got=$(sql "SELECT kind || ',' || status || ',' || amount FROM payments WHERE merchant_uid = '$charge_uid'")
[ "$got" = "again,paid,4900" ] || fail "payments row of $charge_uid is '$got', not again,paid,4900"
step "charged $charge_uid: sandbox ledger 1 × 4900 paid, payments row paid"

# Secrets never reach the log.
logs=$(docker logs "$run_id-billkeyd" 2>&1)
for secret in "$api_key" "$token" imp_sandbox_secret; do
  ! grep -qF -- "$secret" <<<"$logs" || fail "a secret appears in billkeyd's log"
done

# ---- SIGTERM ----------------------------------------------------------------------------------
# docker stop sends the image's STOPSIGNAL (SIGTERM) and SIGKILLs after -t seconds: exit code 0
# means billkeyd shut down by itself within the shutdown timeout (137 would be the kill).
docker stop -t "$SHUTDOWN_TIMEOUT" "$run_id-billkeyd" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$run_id-billkeyd")
[ "$code" = 0 ] || fail "billkeyd exited $code after SIGTERM (137: killed after $SHUTDOWN_TIMEOUT s), not 0"
logs=$(docker logs "$run_id-billkeyd" 2>&1)
grep -q 'received SIGTERM, shutting down' <<<"$logs" || fail "billkeyd's log does not show the SIGTERM"
grep -q '"stopped"\|stopped' <<<"$(tail -n 3 <<<"$logs")" || fail "billkeyd's log does not end with 'stopped'"
docker stop -t "$SHUTDOWN_TIMEOUT" "$run_id-sandbox" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$run_id-sandbox")
[ "$code" = 0 ] || fail "the sandbox container exited $code after SIGTERM, not 0"
step "SIGTERM: billkeyd and the sandbox exited 0 within $SHUTDOWN_TIMEOUT s"

echo "test-container: PASS ($IMAGE, $((size / 1000000)) MB)" >&2
