#!/usr/bin/env bash
# Realtime: idle connection footprint (server RSS per joined socket) and broadcast fan-out (deliveries/s and
# publish→receive p50/p99) against the published binary, driven by load/scenarios/lib/realtime-node-load.mjs (Node `ws`).
# Knobs: IDLE_CONNECTIONS (2000), SUBSCRIBERS (1000), RATE broadcasts/s (100), SECONDS (10).
# Bounded: every wait has a timeout; processes started here are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
PORT=${LOAD_PG_PORT:-54343}
EDGE_PORT=${LOAD_EDGE_PORT:-54392}
dir=$root/.madbase/pg-load-realtime
bin=$root/artifacts/publish/madbase-edge
secret=load-load-load-load-load-load-load-load
edge_pid=""
cleanup() { [ -n "$edge_pid" ] && kill "$edge_pid" 2>/dev/null; wait 2>/dev/null || true; "$root/scripts/pg.sh" stop "$dir" >/dev/null; }
trap cleanup EXIT

scripts/node-deps.sh >/dev/null
scripts/pg.sh start "$dir" "$PORT" >/dev/null
ulimit -n 65536 2>/dev/null || true
MADBASE_JWT_SECRET=$secret MADBASE_LISTEN=http://127.0.0.1:$EDGE_PORT MADBASE_SLOT=load_realtime \
MADBASE_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" \
MADBASE_STORAGE_DIR=$dir/storage MADBASE_SCRATCH_DIR=$dir/scratch "$bin" >"$dir/edge.log" 2>&1 </dev/null &
edge_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$EDGE_PORT/ready" >/dev/null && break; sleep 0.2; done
token=$(MADBASE_JWT_SECRET=$secret "$bin" token anon)
export EDGE_URL=http://127.0.0.1:$EDGE_PORT EDGE_TOKEN=$token NODE_PATH=$root/tests/js/node_modules
cd tests/js   # resolves `ws` from the test clients' node_modules
timeout 300 node "$root/load/scenarios/lib/realtime-node-load.mjs" idle
timeout 300 node "$root/load/scenarios/lib/realtime-node-load.mjs" fanout
grep -E '^madbase_realtime_(frames_sent|socket_writes|outbound_dropped|slow_client)' <(curl -fs "http://127.0.0.1:$EDGE_PORT/metrics")
