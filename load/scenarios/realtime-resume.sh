#!/usr/bin/env bash
# Realtime resume and bursts (issue #18, "Must show" for load/): MadBase Edge alone, on a fresh PostgreSQL.
#   replay1: one client misses MISSED rows (its socket reset, no phx_leave), rejoins: its replay time
#   replay:  REPLAY_N clients miss MISSED rows and rejoin together: time until every client has them all (and a live
#            row after them), per-client replay times, and every row exactly once, in order
#   burst:   BURST_N subscribers reading at full speed, one BURST_ROWS-row transaction: the server's peak RSS against
#            64 MiB + 1.5 x the transaction's encoded size, time until the last subscriber has every row, once, in order
# Each mode gets a fresh server, slot and resume state (a remembered channel of one mode must not resume in the next).
# Bounded: every wait and every driver run has a timeout; everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

REPLAY_N=${REPLAY_N:-1000}
MISSED=${MISSED:-10000}
ROWS_PER_COMMIT=${ROWS_PER_COMMIT:-1}   # the missed rows as 10,000 single-row transactions, as an app's writes come
BURST_N=${BURST_N:-1000}
BURST_ROWS=${BURST_ROWS:-200000}
# The driver kills the server (by its PID) if its RSS passes this: the box is shared, and main's router holds one
# 40-byte match per (row, subscriber) of a transaction (1,000 x 200,000 would be ~8 GB before the doubling copy).
BURST_RSS_CAP_MIB=${BURST_RSS_CAP_MIB:-4096}
MODES=${MODES:-replay1 replay burst}
PG_FSYNC=${PG_FSYNC:-off}
PG_PORT=${LOAD_RS_PG_PORT:-24443}       # below 32768, outside the ephemeral range (see realtime-fanout.sh)
EDGE_PORT=${LOAD_RS_EDGE_PORT:-24492}
BIN=${MADBASE_BIN:-$root/artifacts/publish/madbase-edge}
# Server settings beyond the defaults, as "NAME=value …" (e.g. MADBASE_REALTIME_OUTBOUND_GRACE_MS=30000).
EDGE_ENV=${EDGE_ENV:-}

dir=$root/.madbase/pg-load-rs
out=$root/.madbase/load-rs
driver=$root/load/bin/Release/net10.0/MadBase.Load
secret=load-rs-load-rs-load-rs-load-rs-load-rs
source load/scenarios/lib/postgres.sh
source load/scenarios/lib/processes.sh

cleanup() { stop_server; pg_stop "$dir"; }
trap cleanup EXIT

need_open_files $(( (REPLAY_N > BURST_N ? REPLAY_N : BURST_N) + 1024 )) realtime-resume \
  "lower REPLAY_N/BURST_N or raise the hard limit" || exit 1

mkdir -p "$root/.madbase"
echo "building the driver…"
dotnet build load/MadBase.Load.csproj -c Release -v q -nologo >"$root/.madbase/load-rs-build.log" 2>&1 \
  || { tail -20 "$root/.madbase/load-rs-build.log"; exit 1; }
[ -x "$BIN" ] || { echo "realtime-resume: $BIN missing (make publish)"; exit 1; }

rm -rf "$out"; mkdir -p "$out"
pg_fresh "$dir" "$PG_PORT" "fsync=$PG_FSYNC"
psql -c "create database load"
# The API roles exist before the server's own migration would create them, so the table can be granted to them.
psql -d load -c "create role anon nologin noinherit" -c "create role authenticated nologin noinherit" \
  -c "create table ticks(id bigserial primary key, ts bigint not null, pad text)" \
  -c "grant select on ticks to anon, authenticated" \
  -c "create publication madbase_pub for table ticks" >/dev/null
pg_conn="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=load;Pooling=false"

start_server() { # MODE: a fresh slot and resume state, then the server in the background
  local log=$out/madbase-$1.log
  psql -d load -c "select pg_drop_replication_slot('load_rs') from pg_replication_slots where slot_name = 'load_rs'" >/dev/null
  psql -d load -c "select pg_create_logical_replication_slot('load_rs', 'pgoutput')" >/dev/null
  rm -rf "$dir/scratch"
  # shellcheck disable=SC2086 # EDGE_ENV is a list of NAME=value words
  env $EDGE_ENV MADBASE_LISTEN=http://127.0.0.1:$EDGE_PORT MADBASE_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/load \
    MADBASE_JWT_SECRET=$secret MADBASE_SLOT=load_rs MADBASE_PUBLICATION=madbase_pub \
    MADBASE_STORAGE_DIR=$dir/storage MADBASE_SCRATCH_DIR=$dir/scratch "$BIN" >"$log" 2>&1 </dev/null &
  server_pid=$!
  wait_port "$EDGE_PORT" "$server_pid" "$log"
  target=(--server madbase --port "$EDGE_PORT" --jwt-secret "$secret" --pg "$pg_conn" --pid "$server_pid" --label madbase)
}

status=0
echo "realtime resume, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores shared by client, server and PostgreSQL; $(uptime | sed 's/.*load/load/')"
[ -n "$EDGE_ENV" ] && echo "server settings: $EDGE_ENV"
for mode in $MODES; do
  echo "==> $mode ($(date -u +%H:%M:%SZ), $(uptime | sed 's/.*load/load/'))"
  start_server "$mode"
  case "$mode" in
    replay1) drive 300 resume --subscribers 1 --missed "$MISSED" --rows-per-commit "$ROWS_PER_COMMIT" --timeout-seconds 120 ;;
    replay) drive $(( 300 + REPLAY_N )) resume --subscribers "$REPLAY_N" --missed "$MISSED" --rows-per-commit "$ROWS_PER_COMMIT" \
      --timeout-seconds $(( 120 + REPLAY_N / 2 )) ;;
    burst) drive $(( 300 + BURST_N )) burst --subscribers "$BURST_N" --rows "$BURST_ROWS" --rss-cap-mib "$BURST_RSS_CAP_MIB" --timeout-seconds $(( 120 + BURST_N )) ;;
    *) echo "unknown mode $mode"; false ;;
  esac || { echo "$mode failed (exit $?)"; status=1; }
  # The server's counters after the mode (resumes, gaps, log waits, frames vs socket writes), for where the time went.
  if kill -0 "$server_pid" 2>/dev/null; then
    curl -s --max-time 5 "http://127.0.0.1:$EDGE_PORT/metrics" >"$out/metrics-$mode.txt" || true
    grep -E '^madbase_realtime_(resumed|resume_gaps|resume_replayed|log_waits|log_overruns|frames_sent|socket_writes|slow_client_closes)_total ' \
      "$out/metrics-$mode.txt" | tr '\n' ' ' | sed 's/^/server counters: /'; echo
  fi
  grep -ciE 'missed|fail|error' "$out/madbase-$mode.log" | sed "s/^/server log lines with missed|fail|error: /" || true
  stop_server
done
echo "done $(date -u +%H:%M:%SZ), $(uptime | sed 's/.*load/load/')"
exit $status
