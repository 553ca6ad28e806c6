#!/usr/bin/env bash
# Storage download load: MadBase Edge (public object route, file backend) vs nginx serving the same bytes from disk,
# for 1 KiB, 1 MiB and 100 MiB objects, plus for 1 KiB an authenticated row ("edge-rls": a user's token, the caller's
# RLS SELECT check on every request) through the server's pool defaults (src/Edge/Database/PoolDefaults.cs), and the
# same through a second edge on the same database and files given Npgsql's own defaults ("rls-npgsql": 100
# connections, nothing prepared). Drives them with wrk and prints requests/s, MiB/s and p50/p99 latency.
#   load/scenarios/storage-download.sh (or: make load SCENARIOS=storage-download) [SECONDS per case, default 10] [CONNECTIONS, default 16]
# Uses a PostgreSQL cluster from scripts/pg.sh (LOAD_PG_DIR, default ./.madbase/load-pg; LOAD_PG_PORT, default 24362;
# an already running cluster is reused), the edge on 127.0.0.1:24321 and nginx on 127.0.0.1:24322.
# Client and servers share the machine, so numbers compare the two servers, not absolute capacity.
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-10}
connections=${2:-16}
state=$(pwd)/.madbase/load-storage
bin=${MADBASE_BIN:-$(pwd)/artifacts/publish/madbase-edge} # MADBASE_BIN: another build, for an A/B
pg_dir=${LOAD_PG_DIR:-$(pwd)/.madbase/load-pg} pg_port=${LOAD_PG_PORT:-24362} edge_port=24321 nginx_port=24322
secret=load-secret-load-secret-load-secret-0123456789

need() {
  if ! command -v "$1" >/dev/null; then
    echo "load-storage.sh: installing $2 (Debian package)"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  fi
}
need wrk wrk
need nginx nginx-light
[ -x "$bin" ] || { echo "load-storage.sh: build the binary first (make publish)"; exit 1; }

rm -rf "$state" && mkdir -p "$state/www/bench" "$state/nginx"
started_pg=0
scripts/pg.sh status "$pg_dir" >/dev/null 2>&1 || started_pg=1
scripts/pg.sh start "$pg_dir" "$pg_port" >/dev/null
# The edges' replication slot lives in load_storage: a slot pins WAL for as long as it exists, blocks DROP DATABASE,
# and its name (madbase_slot) is the default of any other server on this cluster. Dropped before and after each run.
drop_slots() {
  psql -qtA -h 127.0.0.1 -p "$pg_port" -U postgres \
    -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = 'load_storage' and not active" >/dev/null
}
drop_slots
psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "drop database if exists load_storage" -c "create database load_storage"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done # the walsender ends with its edge: the slot is inactive
  drop_slots || true
  [ "$started_pg" = 1 ] && scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true # only a cluster this run started
}
trap cleanup EXIT

MADBASE_LISTEN=http://127.0.0.1:$edge_port MADBASE_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/load_storage" \
MADBASE_JWT_SECRET=$secret MADBASE_STORAGE_DIR="$state/storage" MADBASE_SCRATCH_DIR="$state/scratch" \
MADBASE_UPLOAD_MAX_SIZE=200MB "$bin" >"$state/edge.log" 2>&1 &
pids+=($!)
# The same database through Npgsql's own pool defaults, which the server's replace when the connection string is silent:
# with 100 connections 16 busy clients keep 16 backends runnable on 2 cores, and the tail is their queueing.
pooled_port=24323
MADBASE_LISTEN=http://127.0.0.1:$pooled_port MADBASE_JWT_SECRET=$secret MADBASE_STORAGE_DIR="$state/storage" MADBASE_SCRATCH_DIR="$state/scratch-pooled" \
MADBASE_DATABASE_URL="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=load_storage;Maximum Pool Size=100;Max Auto Prepare=0" \
  "$bin" >"$state/edge-pooled.log" 2>&1 &
pids+=($!)
cat >"$state/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $state/nginx/nginx.pid;
error_log $state/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nginx_port; root $state/www; }
}
CONF
nginx -c "$state/nginx/nginx.conf" -p "$state/nginx" -g 'daemon off;' &
pids+=($!)

for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$edge_port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$pooled_port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
token=$(MADBASE_JWT_SECRET=$secret "$bin" token service_role | tail -1)
api=http://127.0.0.1:$edge_port/storage/v1
curl -fs -X POST "$api/bucket" -H "Authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"bench","public":true}' >/dev/null
# Authenticated downloads (#16): a user's token, read through the caller's RLS check (a SELECT policy on the bucket).
user=$(MADBASE_JWT_SECRET=$secret "$bin" token authenticated --sub 2b7c9a1e-0000-4000-8000-000000000001 | tail -1)
psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d load_storage \
  -c "create policy bench_read on storage.objects for select to authenticated using (bucket_id = 'bench')"

printf '%-8s %-10s %12s %10s %10s %10s\n' size server 'requests/s' 'MiB/s' 'p50' 'p99'
for spec in 1KiB:1024 1MiB:1048576 100MiB:104857600; do
  label=${spec%%:*} bytes=${spec##*:}
  head -c "$bytes" /dev/urandom >"$state/www/bench/$label.bin"
  curl -fs -X POST "$api/object/bench/$label.bin" -H "Authorization: Bearer $token" -H 'content-type: application/octet-stream' \
    --data-binary "@$state/www/bench/$label.bin" >/dev/null
  conns=$connections; [ "$bytes" -ge 104857600 ] && conns=4 # 100 MiB bodies: a few streams saturate loopback
  servers="edge nginx"; [ "$bytes" -le 1024 ] && servers="edge edge-rls rls-npgsql nginx"
  for server in $servers; do
    auth=()
    case $server in
      edge) url="$api/object/public/bench/$label.bin" ;;
      edge-rls) url="$api/object/authenticated/bench/$label.bin"; auth=(-H "Authorization: Bearer $user") ;;
      rls-npgsql) url="http://127.0.0.1:$pooled_port/storage/v1/object/authenticated/bench/$label.bin"; auth=(-H "Authorization: Bearer $user") ;;
      *) url="http://127.0.0.1:$nginx_port/bench/$label.bin" ;;
    esac
    out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "${auth[@]}" "$url")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    mibs=$(awk -v b="$bytes" '/^Requests\/sec/ {printf "%.1f", $2 * b / 1048576}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
    printf '%-8s %-10s %12s %10s %10s %10s %s\n' "$label" "$server" "$rps" "$mibs" "$p50" "$p99" "$errors"
  done
done
