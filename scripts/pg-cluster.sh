#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks, the same one in CI and on a laptop.
#
#   scripts/pg-cluster.sh install              # apt-get update && apt-get install -y postgresql (root only)
#   scripts/pg-cluster.sh ensure               # install only if the server binaries are missing
#   eval "$(scripts/pg-cluster.sh start)"      # sets REVIEWFLOW_TEST_PG (the URL) and REVIEWFLOW_PG_CLUSTER
#   scripts/pg-cluster.sh restart-immediate "$REVIEWFLOW_PG_CLUSTER"   # a server crash (the crash tests)
#   scripts/pg-cluster.sh stop "$REVIEWFLOW_PG_CLUSTER"                # stop it and delete its data
#
# The cluster lives in a new temporary directory, listens on 127.0.0.1 only, on a free port, with a
# random superuser password (scram-sha-256): nothing about it is shared with another cluster on the
# machine. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user that the
# distribution's package creates.
set -euo pipefail

die() { echo "pg-cluster: $*" >&2; exit 1; }

bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  fi
  # Debian keeps the server binaries out of PATH, one directory per major version: take the newest.
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
  [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  die "PostgreSQL server binaries (initdb, pg_ctl) not found; run: sudo scripts/pg-cluster.sh install"
}

# Run a server binary as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    # From /: the caller's folder may be one `postgres` cannot enter (psql would say so on every stop).
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd_install() {
  [ "$(id -u)" -eq 0 ] || die "installing packages needs root: sudo $0 install"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  bindir >/dev/null
}

cmd_ensure() {
  if ( bindir >/dev/null 2>&1 ); then return; fi
  cmd_install
}

cmd_start() {
  local bin dir port password
  bin=$(bindir)
  dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/reviewflow-pg.XXXXXX")}
  mkdir -p "$dir"
  port=$(free_port)
  password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  printf '%s\n' "$password" > "$dir/password"
  chmod 600 "$dir/password"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user: install the distribution's postgresql package"
    chown -R postgres: "$dir"
  fi
  # --no-sync: a throw-away cluster need not survive power loss while it is being created; the server
  # itself runs with fsync on, so the durability the tests and benchmarks measure is the real one.
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 -A scram-sha-256 \
    --pwfile="$dir/password" --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
logging_collector = off
EOF
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; die "the server did not start"; }
  echo "export REVIEWFLOW_TEST_PG='postgresql://postgres:$password@127.0.0.1:$port/postgres'"
  echo "export REVIEWFLOW_PG_CLUSTER='$dir'"
}

cmd_restart_immediate() {
  local dir=${1:?usage: $0 restart-immediate DIR}
  # -m immediate: every server process is killed without a checkpoint, as in a crash; on start the
  # server replays its WAL. -w waits until it accepts connections again.
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m immediate -w -t 60 restart >/dev/null
}

cmd_stop() {
  local dir=${1:?usage: $0 stop DIR}
  [ -f "$dir/password" ] || die "$dir is not a cluster made by this script"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) cmd_install ;;
  ensure) cmd_ensure ;;
  start) shift; cmd_start "$@" ;;
  restart-immediate) shift; cmd_restart_immediate "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 install | ensure | start [DIR] | restart-immediate DIR | stop DIR" >&2; exit 2 ;;
esac
