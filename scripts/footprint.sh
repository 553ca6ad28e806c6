#!/usr/bin/env bash
# `make footprint`: the published binary's size, and its resident memory once started and ready (idle), against
# the local cluster of `make run` on a spare port.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(pwd)/.madbase
bin=artifacts/publish/madbase-edge
scripts/pg.sh start "$state/pg" 54322 >/dev/null
port=24390 # below 32768: the ephemeral range above it belongs to client sockets
MADBASE_JWT_SECRET=footprint-footprint-footprint-footprint MADBASE_LISTEN=http://127.0.0.1:$port \
MADBASE_DATABASE_URL=postgres://postgres@127.0.0.1:54322/postgres MADBASE_STORAGE_DIR=$state/footprint/storage \
MADBASE_SCRATCH_DIR=$state/footprint/scratch "$bin" >"$state/footprint.log" 2>&1 </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 2
size=$(stat -c %s "$bin")
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
printf 'binary size: %s bytes (%.1f MiB)\nidle RSS after start: %s KiB (%.1f MiB)\n' "$size" "$(awk "BEGIN{print $size/1048576}")" "$rss" "$(awk "BEGIN{print $rss/1024}")"
