#!/usr/bin/env bash
# TUS uploads: SIZE_MIB (default 200) in CHUNK_MIB (default 8) chunks with tus-js-client, to MadBase Edge (file
# backend) and to @tus/server 2.4.5 + @tus/file-store, one after the other in the same run. Reports MiB/s, server
# CPU seconds per upload, peak RSS, and the ratios (load/tus/tus-bench.mjs).
# Note: MadBase fsyncs every chunk before acknowledging its offset and hashes the bytes for the ETag;
# @tus/file-store does neither, so equal throughput is not expected on a slow disk.
# Bounded: processes started here are stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
PORT=${LOAD_PG_PORT:-54386}
dir=$root/.madbase/pg-load-tus
bin=$root/artifacts/publish/madbase-edge
cleanup() { scripts/pg.sh stop "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

(cd load/tus && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
scripts/pg.sh stop "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
scripts/pg.sh start "$dir" "$PORT" >/dev/null
MADBASE_BIN=$bin MADBASE_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" \
  LOAD_SIZE_MIB=${SIZE_MIB:-200} LOAD_CHUNK_MIB=${CHUNK_MIB:-8} LOAD_RUNS=${RUNS:-3} LOAD_DIR=$root/.madbase/load-tus \
  timeout 900 node load/tus/tus-bench.mjs
