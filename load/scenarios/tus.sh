#!/usr/bin/env bash
# TUS uploads: SIZE_MIB (default 200) in CHUNK_MIB (default 8) chunks with tus-js-client, MadBase Edge vs
# @tus/server 2.4.5 on the file backend (@tus/file-store) and on S3 (@tus/s3-store; both against the same
# s3rver-plus, tests/js/s3rver-plus.mjs), alternating in the same run; then CONCURRENT (8) uploads at once for
# peak RSS. Reports medians of RUNS (3): MiB/s, server CPU-s per upload (s3rver's separately), peak RSS, others%
# (other users of the machine), the ratios and issue #16's goals (load/tus/tus-bench.mjs has the method). Each pair
# has a reference row in the same alternation: the file backend's floor (load/tus/tus-floor-server.mjs: write at the
# offset + fdatasync per request, nothing else) and, on S3, a plain SDK multipart upload (@aws-sdk/lib-storage).
# MadBase fsyncs every chunk before acknowledging its offset; @tus/file-store never fsyncs, so the file peer is also
# shown with an fsync of its finished file ("peer+fsync").
# Bounded: every wait has a timeout; processes started here are stopped by PID. Ports below 32768, 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
PORT=${LOAD_PG_PORT:-24386}
dir=$root/.madbase/pg-load-tus
out=$root/.madbase/load-tus
bin=${MADBASE_BIN:-$root/artifacts/publish/madbase-edge}
source load/scenarios/lib/postgres.sh
cleanup() { pg_stop "$dir"; }
trap cleanup EXIT

(cd load/tus && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
scripts/node-deps.sh >/dev/null # s3rver-plus
pg_fresh "$dir" "$PORT"
mkdir -p "$out"
LOAD_PG_PID=$(head -1 "$dir/data/postmaster.pid") MADBASE_BIN=$bin MADBASE_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" \
  LOAD_SIZE_MIB=${SIZE_MIB:-200} LOAD_CHUNK_MIB=${CHUNK_MIB:-8} LOAD_RUNS=${RUNS:-3} LOAD_DIR=$out \
  LOAD_BACKENDS=${BACKENDS:-file s3} LOAD_CONCURRENT=${CONCURRENT:-8} LOAD_CONCURRENT_MIB=${CONCURRENT_MIB:-${SIZE_MIB:-200}} \
  LOAD_PORT_BASE=${LOAD_PORT_BASE:-24310} LOAD_S3RVER=$root/tests/js/s3rver-plus.mjs \
  timeout 1800 node load/tus/tus-bench.mjs 2> >(tee "$out/results.txt" >&2) | tee "$out/results.json"
