#!/usr/bin/env bash
# Realtime fan-out: MadBase Edge against two broadcast peers (Node `ws`, stock Kestrel JIT), same box, same run.
#   (a) idle:   server RSS per idle subscriber at IDLE_N connections (after a 1,000 step)
#   (b) fanout: FANOUT_N subscribers, FANOUT_RATE ticks/s for FANOUT_SECONDS: p50/p99, deliveries/s, CPU per 1M
#   (c) ramp:   RAMP_N subscribers, RAMP_STEP_SECONDS steps through RAMP_RATES: highest rate with p99 <= 100 ms
# MadBase subscribers are Phoenix channels with a postgres_changes INSERT binding and a tick is an INSERT into a
# published table (commit -> client); peer subscribers are raw /sub sockets and a tick is a /pub message.
# Method and reference figures: docs/performance-anchors.md §WebSocket fan-out peers. The driver is load/ (MadBase.Load).
# Bounded: every wait and every driver run has a timeout; everything started here is stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

IDLE_N=${IDLE_N:-10000}
FANOUT_N=${FANOUT_N:-10000}
FANOUT_RATE=${FANOUT_RATE:-10}          # 10 ticks/s x 10k subscribers = 100k deliveries/s offered (anchors' b3)
FANOUT_SECONDS=${FANOUT_SECONDS:-10}
RAMP_N=${RAMP_N:-1000}
RAMP_RATES=${RAMP_RATES:-20,50,100,200,350,500,720,1000,1450,2100,2500}
RAMP_STEP_SECONDS=${RAMP_STEP_SECONDS:-3}
# Idle means idle: RSS is read after 30 s without traffic, for every server alike. Runtimes give memory back when
# quiet (V8's idle-time GC; MadBase's idle trim after two quiet 5 s checks); 3 s measured the connect burst instead.
SETTLE_MS=${SETTLE_MS:-30000}
SERVERS=${SERVERS:-madbase kestrel node}
MODES=${MODES:-idle fanout ramp}        # a subset reruns part of the matrix, e.g. MODES=ramp
# fsync off keeps the shared VM's disk latency out of MadBase's commit->client figure (the peers have no
# database); commits still go through WAL and logical decoding exactly as with fsync on. PG_FSYNC=on to include it.
PG_FSYNC=${PG_FSYNC:-off}
# Every listening port stays below 32768, outside the kernel's ephemeral range (32768-60999): tens of thousands of
# client sockets (ours and other users') take ports there, and a TIME_WAIT on a server port makes its bind fail.
PG_PORT=${LOAD_RT_PG_PORT:-24343}
EDGE_PORT=${LOAD_RT_EDGE_PORT:-24392}
KESTREL_PORT=${LOAD_RT_KESTREL_PORT:-24393}
NODE_PORT=${LOAD_RT_NODE_PORT:-24394}
BIN=${MADBASE_BIN:-$root/artifacts/publish/madbase-edge}

dir=$root/.madbase/pg-load-rt
out=$root/.madbase/load-rt
driver=$root/load/bin/Release/net10.0/MadBase.Load
kestrel_dll=$root/load/peers/KestrelBroadcast/bin/Release/net10.0/KestrelBroadcast.dll
secret=load-rt-load-rt-load-rt-load-rt-load-rt
source load/scenarios/lib/postgres.sh
source load/scenarios/lib/processes.sh

cleanup() { stop_server; pg_stop "$dir"; }
trap cleanup EXIT

need_open_files $(( (IDLE_N > FANOUT_N ? IDLE_N : FANOUT_N) + 1024 )) realtime-fanout \
  "lower IDLE_N/FANOUT_N or raise the hard limit" || exit 1

mkdir -p "$root/.madbase"
echo "building the driver and the Kestrel peer; installing ws…"
dotnet build load/MadBase.Load.csproj -c Release -v q -nologo >"$root/.madbase/load-rt-build.log" 2>&1 \
  || { tail -20 "$root/.madbase/load-rt-build.log"; exit 1; }
dotnet build load/peers/KestrelBroadcast/KestrelBroadcast.csproj -c Release -v q -nologo >>"$root/.madbase/load-rt-build.log" 2>&1 \
  || { tail -20 "$root/.madbase/load-rt-build.log"; exit 1; }
scripts/node-deps.sh
case " $SERVERS " in
  *" madbase "*) [ -x "$BIN" ] || { echo "realtime-fanout: $BIN missing (make publish)"; exit 1; } ;;
esac

rm -rf "$out"; mkdir -p "$out"
pg_fresh "$dir" "$PG_PORT" "fsync=$PG_FSYNC"
psql -c "create database load"
# Readable by the subscribers' role (anon, created by the server's migrations later), as Supabase's default grants make
# a public table: without it every change reaches them as upstream's "Error 401: Unauthorized" with no record.
psql -d load -c "create table ticks(id bigserial primary key, ts bigint not null, pad text)" \
  -c "grant select on ticks to public" \
  -c "create publication madbase_pub for table ticks" \
  -c "select pg_create_logical_replication_slot('load_rt', 'pgoutput')" >/dev/null
pg_conn="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=load;Pooling=false"
apikey=""
[ -x "$BIN" ] && apikey=$(MADBASE_JWT_SECRET=$secret "$BIN" token anon)
idle_steps=$IDLE_N
[ "$IDLE_N" -gt 1000 ] && idle_steps=1000,$IDLE_N

start_server() { # NAME: starts it in the background, sets server_pid and the driver's target arguments
  local log=$out/$1.log
  case "$1" in
    madbase)
      MADBASE_LISTEN=http://127.0.0.1:$EDGE_PORT MADBASE_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/load \
      MADBASE_JWT_SECRET=$secret MADBASE_SLOT=load_rt MADBASE_PUBLICATION=madbase_pub \
      MADBASE_STORAGE_DIR=$dir/storage MADBASE_SCRATCH_DIR=$dir/scratch "$BIN" >"$log" 2>&1 </dev/null &
      server_pid=$!
      target=(--server madbase --port "$EDGE_PORT" --apikey "$apikey" --pg "$pg_conn")
      wait_port "$EDGE_PORT" "$server_pid" "$log" ;;
    kestrel)
      DOTNET_gcServer=1 dotnet "$kestrel_dll" "$KESTREL_PORT" >"$log" 2>&1 </dev/null &
      server_pid=$!
      target=(--server peer --port "$KESTREL_PORT")
      wait_port "$KESTREL_PORT" "$server_pid" "$log" ;;
    node)
      node load/peers/ws-broadcast.mjs "$NODE_PORT" >"$log" 2>&1 </dev/null &
      server_pid=$!
      target=(--server peer --port "$NODE_PORT")
      wait_port "$NODE_PORT" "$server_pid" "$log" ;;
    *) echo "unknown server $1"; return 1 ;;
  esac
  target+=(--pid "$server_pid" --label "$1")
}

status=0
for name in $SERVERS; do
  echo "==> $name"
  start_server "$name"
  # A fresh server for (a); each mode opens and closes its own connections.
  for mode in $MODES; do
    case "$mode" in
      idle) drive $(( 120 + IDLE_N / 25 )) idle --steps "$idle_steps" --settle-ms "$SETTLE_MS" ;;
      fanout) drive $(( 240 + FANOUT_N / 25 )) fanout --subscribers "$FANOUT_N" --rate "$FANOUT_RATE" \
        --seconds "$FANOUT_SECONDS" --drain-seconds 180 ;;
      ramp) drive 900 ramp --subscribers "$RAMP_N" --rates "$RAMP_RATES" --step-seconds "$RAMP_STEP_SECONDS" --drain-seconds 30 ;;
      *) echo "unknown mode $mode"; false ;;
    esac || { echo "$name: $mode failed"; status=1; }
  done
  stop_server
done

echo
echo "realtime fan-out, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by client and servers"
awk -f load/scenarios/lib/realtime-report.awk -v idle_n="$IDLE_N" "$out/results.txt"
exit $status
