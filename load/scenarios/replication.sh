#!/usr/bin/env bash
# Replication throughput: ROWS rows in ROWS_PER_TX-row transactions, drained by MadBase Edge and by pg_recvlogical
# from two slots created before the load (same WAL, same publication), one after the other, in the same run.
# Reports rows/s for each and the ratio. The walsender is the ceiling for both
# (docs/performance-anchors.md §Walsender ceiling).
# Bounded: every wait has a timeout; processes started here are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
ROWS=${ROWS:-1000000}
ROWS_PER_TX=${ROWS_PER_TX:-1000}
PG_PORT=${LOAD_PG_PORT:-24342}
EDGE_PORT=${LOAD_EDGE_PORT:-24391}
dir=$root/.madbase/pg-load
bin=${MADBASE_BIN:-$root/artifacts/publish/madbase-edge} # MADBASE_BIN: another build, for an A/B
source load/scenarios/lib/postgres.sh
edge_pid=""
cleanup() { [ -n "$edge_pid" ] && kill "$edge_pid" 2>/dev/null; wait 2>/dev/null || true; scripts/pg.sh stop "$dir" >/dev/null; }
trap cleanup EXIT

pg_fresh "$dir" "$PG_PORT"
psql -c "create database load"
psql -d load -c "create table bench(id bigint primary key, a int, b text, c timestamptz, d numeric)" \
  -c "create publication madbase_pub for table bench" \
  -c "select pg_create_logical_replication_slot('load_edge', 'pgoutput')" \
  -c "select pg_create_logical_replication_slot('load_recv', 'pgoutput')" >/dev/null

echo "loading $ROWS rows in $ROWS_PER_TX-row transactions…"
psql -d load -c "set synchronous_commit = off" -c "
do \$\$
declare i bigint := 0;
begin
  while i < $ROWS loop
    insert into bench select g, g % 1000, md5(g::text) || md5((g + 1)::text), now(), g * 1.25
      from generate_series(i + 1, i + $ROWS_PER_TX) g;
    commit;
    i := i + $ROWS_PER_TX;
  end loop;
end \$\$"
endpos=$(psql -d load -c "select pg_current_wal_lsn()")

now_ms() { date +%s%3N; }

# pg_recvlogical: text pgoutput to /dev/null until the WAL position after the load.
t0=$(now_ms)
timeout 600 "$PGBIN/pg_recvlogical" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d load --slot load_recv --start \
  -o proto_version=1 -o publication_names=madbase_pub -f /dev/null --endpos="$endpos"
recv_ms=$(( $(now_ms) - t0 ))

# MadBase Edge: from process start until every row has been decoded, encoded and handed to the fan-out.
t0=$(now_ms)
MADBASE_JWT_SECRET=load-load-load-load-load-load-load-load MADBASE_LISTEN=http://127.0.0.1:$EDGE_PORT \
MADBASE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/load" MADBASE_SLOT=load_edge \
MADBASE_STORAGE_DIR=$dir/storage MADBASE_SCRATCH_DIR=$dir/scratch "$bin" >"$dir/edge.log" 2>&1 </dev/null &
edge_pid=$!
events=0
deadline=$(( $(date +%s) + 600 ))
while [ "$events" -lt "$ROWS" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "edge did not drain within 600 s"; tail -20 "$dir/edge.log"; exit 1; }
  events=$( (curl -fs "http://127.0.0.1:$EDGE_PORT/metrics" 2>/dev/null || true) | awk '/^madbase_replication_events_total /{print $2}')
  events=${events:-0}; events=${events%.*}
  sleep 0.02
done
edge_ms=$(( $(now_ms) - t0 ))
cpu=$(awk '{print ($14 + $15) / 100}' /proc/$edge_pid/stat)
rss=$(awk '/VmHWM/{print $2}' /proc/$edge_pid/status)

awk -v rows="$ROWS" -v r="$recv_ms" -v e="$edge_ms" -v cpu="$cpu" -v rss="$rss" 'BEGIN {
  printf "replication drain, %d rows:\n", rows
  printf "  pg_recvlogical  %8.0f rows/s  (%.2f s)\n", rows / (r / 1000), r / 1000
  printf "  madbase-edge    %8.0f rows/s  (%.2f s, %.2f CPU-s, peak RSS %.1f MiB)\n", rows / (e / 1000), e / 1000, cpu, rss / 1024
  printf "  ratio edge / pg_recvlogical = %.2f (goal >= 0.95)\n", (rows / (e / 1000)) / (rows / (r / 1000))
}'
