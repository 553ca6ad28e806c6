#!/usr/bin/env bash
# A project-local PostgreSQL 15 cluster for development and tests.
#   scripts/pg.sh start DIR PORT   create the cluster under DIR when absent (initdb as postgres), then start it
#   scripts/pg.sh stop DIR         stop it (by the postmaster PID in DIR)
#   scripts/pg.sh status DIR
# The cluster listens on 127.0.0.1 only, with wal_level=logical and room for replication slots.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg.sh start|stop|status DIR [PORT]}
dir=$(realpath -m "${2:?DIR}")
port=${3:-54322}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "pg.sh: installing postgresql-15 (Debian package)"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  fi
}

running() { [ -f "$dir/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    ensure_installed
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log"; exit 1; }
      cat >>"$dir/data/postgresql.conf" <<CONF
# MadBase Edge local cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
max_connections = 300
max_prepared_transactions = 20
max_slot_wal_keep_size = 4GB
wal_sender_timeout = 60s
timezone = 'UTC'
CONF
    fi
    if running; then echo "pg.sh: already running ($dir, port $port)"; exit 0; fi
    # A cluster stopped a moment ago may still hold the port while its last backends exit.
    for _ in $(seq 1 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-p $port" -w -t 60 start >/dev/null \
      || { tail -20 "$dir/server.log"; exit 1; }
    echo "pg.sh: PostgreSQL 15 running on 127.0.0.1:$port ($dir)"
    ;;
  stop)
    if running; then as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; echo "pg.sh: stopped ($dir)"; fi
    ;;
  status)
    if running; then echo running; else echo stopped; exit 3; fi
    ;;
  *) echo "usage: pg.sh start|stop|status DIR [PORT]" >&2; exit 2 ;;
esac
