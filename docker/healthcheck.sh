#!/bin/bash
# The image's HEALTHCHECK: GET /readyz on billkeyd's own port with bash's /dev/tcp (the image has
# no curl); healthy (exit 0) only on "HTTP/1.x 200", i.e. PostgreSQL reachable and migrated.
# It reads the same PORT and LISTEN_ADDR as billkeyd (a wildcard address is probed on loopback).
set -u
port=${PORT:-8080}
addr=${LISTEN_ADDR:-0.0.0.0}
case "$addr" in
  0.0.0.0) addr=127.0.0.1 ;;
  ::|"[::]") addr=::1 ;;
esac
if [ "$port" = 0 ]; then
  echo "billkey-healthcheck: PORT=0 (a random port) cannot be probed; set PORT" >&2
  exit 1
fi
exec 3<>"/dev/tcp/$addr/$port" || { echo "billkey-healthcheck: cannot connect to $addr:$port" >&2; exit 1; }
printf 'GET /readyz HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || { echo "billkey-healthcheck: no answer from $addr:$port" >&2; exit 1; }
exec 3<&- 3>&-
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "billkey-healthcheck: /readyz answered '${status%$'\r'}'" >&2; exit 1 ;;
esac
