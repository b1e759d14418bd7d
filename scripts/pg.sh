#!/usr/bin/env bash
# A private, throwaway PostgreSQL 15 reachable only through a unix socket (for run.sh and test.sh).
#
# usage: scripts/pg.sh start DIR          initdb DIR/data if missing, start it, create database
#                                         "billkey"; prints its connection URL (one line)
#        scripts/pg.sh stop DIR           fast shutdown; no error when it is not running
#        scripts/pg.sh url DIR            prints the URL of database "billkey"
#        scripts/pg.sh createdb DIR NAME  creates the fresh database NAME and prints its URL
#
# As root (PostgreSQL refuses to run as root) the cluster runs as the system user billkey-pg,
# created when missing; otherwise as the current user. Only stdout's one URL line is output:
# everything else goes to stderr or to DIR/postgres.log and DIR/initdb.log.
set -euo pipefail
export LC_ALL=C

readonly PG_USER_WHEN_ROOT=billkey-pg
readonly PG_PORT=5432
readonly SOCKET_MAX_BYTES=100

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: pg.sh start DIR | stop DIR | url DIR | createdb DIR NAME" >&2
  exit 2
}

find_bindir() {
  local dir
  if [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return
    fi
  fi
  dir=$(command -v pg_ctl 2>/dev/null || true)
  [ -n "$dir" ] || die "cannot find the PostgreSQL binaries (pg_ctl) in '/usr/lib/postgresql/15/bin', 'pg_config --bindir' or PATH"
  dirname "$dir"
}

is_root() {
  [ "$(id -u)" -eq 0 ]
}

pg_user() {
  if is_root; then echo "$PG_USER_WHEN_ROOT"; else id -un; fi
}

# Runs a command as the cluster's OS user.
as_pg() {
  if is_root; then
    runuser -u "$PG_USER_WHEN_ROOT" -- "$@"
  else
    "$@"
  fi
}

ensure_pg_user() {
  is_root || return 0
  id -u "$PG_USER_WHEN_ROOT" >/dev/null 2>&1 && return 0
  # Another pg.sh may be creating it at the same moment: only a still-missing user is an error.
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_WHEN_ROOT" >/dev/null 2>&1 ||
    id -u "$PG_USER_WHEN_ROOT" >/dev/null 2>&1 ||
    die "cannot create the system user '$PG_USER_WHEN_ROOT'"
}

# Fails with a clear message naming the first directory on the way to $1 that the cluster's user
# cannot traverse.
check_reachable() {
  local target=$1 path="" part
  as_pg test -x "$target" -a -w "$target" 2>/dev/null && return 0
  local IFS=/
  for part in $target; do
    [ -n "$part" ] || continue
    path="$path/$part"
    if ! as_pg test -x "$path" 2>/dev/null; then
      die "user '$(pg_user)' cannot reach '$target': '$path' is not traversable by it (chmod o+x '$path' or choose another DIR)"
    fi
  done
  die "user '$(pg_user)' cannot write to '$target'"
}

# Percent-encodes everything but unreserved characters and '/', for a URL query value.
url_encode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# Sets $dir to the absolute, symlink-free form of DIR (which must exist).
resolve_dir() {
  [ -n "$1" ] || die "DIR is empty"
  [ -d "$1" ] || die "'$1' is not a directory"
  dir=$(cd "$1" && pwd -P) || die "cannot resolve '$1'"
  case "$dir" in
    *$'\n'*) die "'$dir' contains a newline" ;;
  esac
  # The cluster's user may not be able to enter the caller's working directory.
  cd /
}

# The socket directory in use: DIR/socket, or the short one recorded in DIR/socket-path.
socket_dir() {
  local recorded
  if [ -s "$dir/socket-path" ]; then
    recorded=$(cat "$dir/socket-path")
    [[ "$recorded" =~ ^/tmp/billkey-pg\.[A-Za-z0-9]+$ ]] ||
      die "'$dir/socket-path' holds '$recorded', not a /tmp/billkey-pg.* directory"
    echo "$recorded"
  else
    echo "$dir/socket"
  fi
}

# Picks (and creates) the socket directory for a start; records a short one in /tmp when DIR is
# too long for a socket path or holds characters unix_socket_directories cannot (, ' \).
prepare_socket_dir() {
  local sock
  sock=$(socket_dir)
  if [ ! -s "$dir/socket-path" ] &&
    { [ $((${#sock} + ${#PG_PORT} + 10)) -ge "$SOCKET_MAX_BYTES" ] || [[ "$sock" == *[,\'\\]* ]]; }; then
    sock=$(mktemp -d /tmp/billkey-pg.XXXXXX) || die "cannot create a socket directory in '/tmp'"
    printf '%s\n' "$sock" >"$dir/socket-path"
  fi
  if [ ! -d "$sock" ]; then
    if [ -s "$dir/socket-path" ]; then
      # The recorded /tmp directory is gone (reboot, tmp cleaner): make a new one.
      sock=$(mktemp -d /tmp/billkey-pg.XXXXXX) || die "cannot create a socket directory in '/tmp'"
      printf '%s\n' "$sock" >"$dir/socket-path"
    else
      mkdir -p "$sock"
    fi
  fi
  if is_root; then chown "$PG_USER_WHEN_ROOT": "$sock"; fi
  chmod 700 "$sock"
}

url_for() {
  local sock
  sock=$(socket_dir)
  printf 'postgresql:///%s?host=%s&user=%s\n' "$1" "$(url_encode "$sock")" "$(url_encode "$(pg_user)")"
}

# Serialises start and stop on one DIR (the lock is released when this script exits).
lock_dir() {
  exec 9>>"$dir/.pg.lock"
  flock -w 120 9 || die "timed out waiting for the lock '$dir/.pg.lock'"
}

# Stop must work even when a stray process holds the lock: it waits a little, then goes ahead.
lock_dir_for_stop() {
  exec 9>>"$dir/.pg.lock"
  flock -w 15 9 || echo "pg.sh: '$dir/.pg.lock' is held by another process; stopping anyway" >&2
}

is_running() {
  [ -f "$dir/data/PG_VERSION" ] && as_pg "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

# Settings rewritten at every start, so a new socket directory is picked up.
write_settings() {
  local sock=$1
  as_pg tee "$dir/data/billkey.conf" >/dev/null <<EOF
# Written by scripts/pg.sh at every start: a throwaway cluster, unix socket only.
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
}

init_cluster() {
  [ -f "$dir/data/PG_VERSION" ] && return 0
  if ! as_pg "$bindir/initdb" -D "$dir/data" --locale=C --encoding=UTF8 --auth-local=trust \
    --auth-host=reject --username="$(pg_user)" >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb of '$dir/data' failed (see '$dir/initdb.log')"
  fi
  echo "include 'billkey.conf'" | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
}

cmd_start() {
  mkdir -p "$1"
  resolve_dir "$1"
  ensure_pg_user
  if is_root; then chown "$PG_USER_WHEN_ROOT": "$dir"; fi
  check_reachable "$dir"
  lock_dir
  if is_running; then
    url_for billkey
    return 0
  fi
  init_cluster
  prepare_socket_dir
  write_settings "$(socket_dir)"
  # 9>&-: the server must not inherit (and so hold forever) the lock on DIR/.pg.lock.
  if ! as_pg "$bindir/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/postgres.log" >/dev/null 2>&1 9>&-; then
    tail -n 20 "$dir/postgres.log" >&2 || true
    die "cannot start PostgreSQL in '$dir/data' (see '$dir/postgres.log')"
  fi
  create_database billkey
  url_for billkey
}

create_database() {
  local name=$1 exists
  exists=$(as_pg "$bindir/psql" -X -q -At -h "$(socket_dir)" -p "$PG_PORT" -U "$(pg_user)" -d postgres \
    -v ON_ERROR_STOP=1 -v "name=$name" <<<"SELECT 1 FROM pg_database WHERE datname = :'name'") ||
    die "cannot query the databases of '$dir'"
  [ "$exists" = 1 ] && return 0
  as_pg "$bindir/createdb" -h "$(socket_dir)" -p "$PG_PORT" -U "$(pg_user)" "$name" ||
    die "cannot create database '$name' in '$dir'"
}

cmd_stop() {
  [ -d "$1" ] || return 0
  resolve_dir "$1"
  [ -f "$dir/data/PG_VERSION" ] || return 0
  is_root && ! id -u "$PG_USER_WHEN_ROOT" >/dev/null 2>&1 && return 0
  lock_dir_for_stop
  if is_running; then
    as_pg "$bindir/pg_ctl" stop -w -m fast -D "$dir/data" >/dev/null 2>&1 ||
      die "cannot stop PostgreSQL in '$dir/data' (see '$dir/postgres.log')"
  fi
  if [ -s "$dir/socket-path" ]; then
    # socket_dir() has checked that the recorded path is one of our /tmp/billkey-pg.* dirs.
    rm -rf -- "$(socket_dir)"
    rm -f -- "$dir/socket-path"
  fi
}

cmd_url() {
  resolve_dir "$1"
  url_for billkey
}

cmd_createdb() {
  resolve_dir "$1"
  local name=$2
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
    die "database name '$name' is not 1-63 characters of [A-Za-z0-9_] starting with a letter or '_'"
  is_running || die "PostgreSQL in '$dir' is not running (run 'pg.sh start $dir' first)"
  as_pg "$bindir/createdb" -h "$(socket_dir)" -p "$PG_PORT" -U "$(pg_user)" "$name" ||
    die "cannot create database '$name' in '$dir'"
  url_for "$name"
}

[ $# -ge 2 ] || usage
bindir=$(find_bindir)
dir=""
case "$1" in
  start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
  url) [ $# -eq 2 ] || usage; cmd_url "$2" ;;
  createdb) [ $# -eq 3 ] || usage; cmd_createdb "$2" "$3" ;;
  *) usage ;;
esac
