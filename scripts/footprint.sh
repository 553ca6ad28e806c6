#!/usr/bin/env bash
# `make footprint`: the published binary's size, the time from exec to the first 200 from /ready (migrations applied,
# replication streaming), and its resident memory once ready and idle, against the local cluster of `make run`
# (FOOTPRINT_PG_PORT picks another already-running cluster's port; FOOTPRINT_PORT the server's port). Then start -> ready
# again, alternated with the floor (load/peers/StartFloor: the runtime, Kestrel and one Npgsql query, nothing else),
# FOOTPRINT_STARTS times each (0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(pwd)/.madbase
bin=artifacts/publish/madbase-edge
floor=artifacts/start-floor/start-floor
pg_port=${FOOTPRINT_PG_PORT:-54322}
port=${FOOTPRINT_PORT:-24390} # below 32768: the ephemeral range above it belongs to client sockets
[ -n "${FOOTPRINT_PG_PORT:-}" ] || scripts/pg.sh start "$state/pg" "$pg_port" >/dev/null
export MADBASE_JWT_SECRET=footprint-footprint-footprint-footprint MADBASE_LISTEN=http://127.0.0.1:$port \
  MADBASE_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres MADBASE_STORAGE_DIR=$state/footprint/storage \
  MADBASE_SCRATCH_DIR=$state/footprint/scratch
# scripts/ready-time.mjs starts a server and asks /ready every 2 ms from one process (see there why not curl); it prints
# "ms pid" and leaves the server running. stop_server ends one and waits for it.
start_server() { node scripts/ready-time.mjs "$1" "$2" "$3"; }
stop_server() { kill "$1"; while kill -0 "$1" 2>/dev/null; do sleep 0.05; done; }
read -r ready pid < <(start_server "$bin" "$port" "$state/footprint.log")
trap 'kill $pid 2>/dev/null || true' EXIT
[ "$ready" != - ] || { tail -20 "$state/footprint.log"; echo "footprint: not ready within 30 s"; exit 1; }
sleep 2
size=$(stat -c %s "$bin")
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
printf 'binary size: %s bytes (%.1f MiB)\nstart -> ready: %s ms (spawn to the first 200 from /ready, asked every 2 ms)\nidle RSS after start: %s KiB (%.1f MiB)\n' \
  "$size" "$(awk "BEGIN{print $size/1048576}")" "$ready" "$rss" "$(awk "BEGIN{print $rss/1024}")"
# The idle trimmer's first quiet spell (two quiet 5 s checks after the busy start) gives back the executable's pages
# only starting needed (src/Edge/Hosting/StartupPages.cs); FOOTPRINT_QUIET_WAIT=0 skips this second reading.
wait_quiet=${FOOTPRINT_QUIET_WAIT:-18}
if [ "$wait_quiet" != 0 ]; then
  sleep "$wait_quiet"
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  printf 'idle RSS after the first quiet spell (ready + %s s): %s KiB (%.1f MiB)\n' "$((wait_quiet + 2))" "$rss" "$(awk "BEGIN{print $rss/1024}")"
fi

# Start -> ready against its floor, alternated in this run: on a shared machine one start says little.
starts=${FOOTPRINT_STARTS:-5}
[ "$starts" != 0 ] || exit 0
stop_server "$pid"
export FLOOR_LISTEN=http://127.0.0.1:$((port + 1)) FLOOR_DATABASE_URL="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
ours=() theirs=()
for _ in $(seq 1 "$starts"); do
  for who in edge floor; do
    if [ $who = edge ]; then read -r ms pid < <(start_server "$bin" "$port" "$state/footprint.log")
    else read -r ms pid < <(start_server "$floor" $((port + 1)) "$state/footprint-floor.log"); fi
    [ "$ms" != - ] || { echo "footprint: $who not ready within 30 s"; exit 1; }
    stop_server "$pid"
    if [ $who = edge ]; then ours+=("$ms"); else theirs+=("$ms"); fi
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_ours=$(median "${ours[@]}") m_theirs=$(median "${theirs[@]}")
printf 'start -> ready, %s alternated starts each: madbase-edge median %s ms (%s), floor median %s ms (%s): %.2fx the floor (load %s)\n' \
  "$starts" "$m_ours" "${ours[*]}" "$m_theirs" "${theirs[*]}" "$(awk "BEGIN{print $m_ours/$m_theirs}")" "$(cut -d' ' -f1-3 /proc/loadavg)"
