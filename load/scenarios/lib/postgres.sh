# shellcheck shell=bash
# PostgreSQL 15 for the load scenarios (sourced): a fresh cluster per run, built by scripts/pg.sh (127.0.0.1 only,
# wal_level=logical, its slot and connection limits), so every scenario measures the same server settings.
#   pg_fresh DIR PORT [NAME=VALUE…]   stop and delete any cluster in DIR, create and start a new one on PORT, then
#                                     apply each setting with ALTER SYSTEM and one reload (e.g. fsync=off)
#   pg_stop DIR                       stop the cluster in DIR if it runs (for an EXIT trap: never fails)
#   pg_psql PORT ARGS…                psql as postgres on 127.0.0.1:PORT, quiet, unaligned, stopping at the first error
#   psql ARGS…                        the same on $PG_PORT (the scenario's cluster)

PGBIN=/usr/lib/postgresql/15/bin
# The repository root, so the functions work whatever the caller's directory.
load_pg_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

pg_psql() {
  local port=$1; shift
  "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

psql() { pg_psql "$PG_PORT" "$@"; }

pg_fresh() {
  local dir=$1 port=$2; shift 2
  "$load_pg_root/scripts/pg.sh" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  "$load_pg_root/scripts/pg.sh" start "$dir" "$port" >/dev/null
  if [ $# -gt 0 ]; then
    local setting sql=()
    for setting in "$@"; do sql+=(-c "alter system set ${setting%%=*} = ${setting#*=}"); done
    pg_psql "$port" "${sql[@]}" -c "select pg_reload_conf()" >/dev/null
  fi
}

pg_stop() { "$load_pg_root/scripts/pg.sh" stop "$1" >/dev/null 2>&1 || true; }
