#!/usr/bin/env bash
# Installs the Debian 12 packages billkey needs to build, run and test, when any is missing.
# usage: scripts/deps.sh [run|test|bench]   (test also installs the browser-test packages,
# clang-format for scripts/check-format.sh, clang and its libFuzzer runtime for tests/fuzz/,
# Node.js for the published-client test and curl for scripts/test-container.sh; bench wrk)
set -euo pipefail

mode=${1:-run}
packages=(build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev
          libpq-dev libssl-dev check postgresql-15 ca-certificates)
if [ "$mode" = test ]; then
  packages+=(chromium chromium-driver clang-format clang libclang-rt-14-dev curl)
  # Node.js and npm run iamport's own REST client (tests/published-client). A machine may have
  # them from elsewhere (a nodejs build that bundles npm): then nothing is installed.
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
  fi
fi
if [ "$mode" = bench ]; then
  packages+=(wrk)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "billkey: installing missing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "billkey: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The postgresql-15 package may start a system cluster; billkey never uses it.
