#!/usr/bin/env bash
# `make run`: the embedded default. A local PostgreSQL 15 cluster under ./.madbase/pg (port 54322, reused on
# re-runs) and the AOT server on the file backend, with a development JWT secret generated once and kept in
# ./.madbase/jwt-secret. Prints the secret and ready-made anon and service_role tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(pwd)/.madbase
bin=$(pwd)/artifacts/publish/madbase-edge
mkdir -p "$state"

scripts/pg.sh start "$state/pg" 54322

if [ ! -s "$state/jwt-secret" ]; then
  head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$state/jwt-secret"
  chmod 600 "$state/jwt-secret"
fi
export MADBASE_JWT_SECRET; MADBASE_JWT_SECRET=$(cat "$state/jwt-secret")
export MADBASE_LISTEN=${MADBASE_LISTEN:-http://127.0.0.1:54321}
export MADBASE_DATABASE_URL=${MADBASE_DATABASE_URL:-postgres://postgres@127.0.0.1:54322/postgres}
export MADBASE_STORAGE_BACKEND=${MADBASE_STORAGE_BACKEND:-file}
export MADBASE_STORAGE_DIR=${MADBASE_STORAGE_DIR:-$state/storage}
export MADBASE_SCRATCH_DIR=${MADBASE_SCRATCH_DIR:-$state/scratch}

if [ -f "$state/edge.pid" ] && kill -0 "$(cat "$state/edge.pid")" 2>/dev/null; then
  echo "run.sh: restarting the server (pid $(cat "$state/edge.pid"))"
  kill "$(cat "$state/edge.pid")"
  while kill -0 "$(cat "$state/edge.pid")" 2>/dev/null; do sleep 0.1; done
fi

nohup "$bin" >"$state/edge.log" 2>&1 </dev/null &
echo $! >"$state/edge.pid"

for _ in $(seq 1 300); do
  if curl -fs "${MADBASE_LISTEN%/}/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$state/edge.pid")" 2>/dev/null; then echo "run.sh: the server exited:"; cat "$state/edge.log"; exit 1; fi
  sleep 0.1
done
curl -fs "${MADBASE_LISTEN%/}/ready" >/dev/null || { echo "run.sh: not ready after 30 s; see $state/edge.log"; exit 1; }

cat <<MSG

MadBase Edge is running: ${MADBASE_LISTEN}  (pid $(cat "$state/edge.pid"), log .madbase/edge.log)
PostgreSQL:          postgres://postgres@127.0.0.1:54322/postgres
Storage backend:     file ($MADBASE_STORAGE_DIR)
JWT secret:          $MADBASE_JWT_SECRET
anon key:            $("$bin" token anon)
service_role key:    $("$bin" token service_role)

Stop both with: make stop
MSG
