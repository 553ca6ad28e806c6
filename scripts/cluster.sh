#!/usr/bin/env bash
# `make cluster`: a local cluster on loopback — the PostgreSQL of `make run` (./.madbase/pg, port 54322), one
# nats-server with JetStream (127.0.0.1:14222, store ./.madbase/nats) and three edge nodes (54331, 54332, 54333)
# with MADBASE_NATS_URL set, each with its own scratch directory and log (./.madbase/cluster/node-N). The file backend
# shares one storage directory (docs/cluster.md §TUS on any node); set MADBASE_STORAGE_BACKEND=s3 and the S3 settings to use S3.
# `make cluster-stop` (scripts/cluster.sh stop) stops what this started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(pwd)/.madbase
cluster=$state/cluster
bin=$(pwd)/artifacts/publish/madbase-edge
mkdir -p "$cluster"

stop_pid() { # pid file
  [ -f "$1" ] || return 0
  local pid; pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$1"
}

if [ "${1:-start}" = stop ]; then
  for n in 1 2 3; do stop_pid "$cluster/node-$n.pid"; done
  stop_pid "$cluster/nats.pid"
  scripts/pg.sh stop "$state/pg"
  echo "cluster.sh: stopped"
  exit 0
fi

if ! command -v nats-server >/dev/null; then
  echo "cluster.sh: installing nats-server (Debian package)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nats-server >/dev/null
fi

scripts/pg.sh start "$state/pg" 54322
if [ ! -s "$state/jwt-secret" ]; then
  head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$state/jwt-secret"
  chmod 600 "$state/jwt-secret"
fi

stop_pid "$cluster/nats.pid"
nohup nats-server -a 127.0.0.1 -p 14222 -js -sd "$state/nats" >"$cluster/nats.log" 2>&1 </dev/null &
echo $! >"$cluster/nats.pid"

export MADBASE_JWT_SECRET; MADBASE_JWT_SECRET=$(cat "$state/jwt-secret")
export MADBASE_DATABASE_URL=${MADBASE_DATABASE_URL:-postgres://postgres@127.0.0.1:54322/postgres}
export MADBASE_NATS_URL=nats://127.0.0.1:14222
export MADBASE_STORAGE_BACKEND=${MADBASE_STORAGE_BACKEND:-file}
export MADBASE_STORAGE_DIR=${MADBASE_STORAGE_DIR:-$state/storage}
for n in 1 2 3; do
  stop_pid "$cluster/node-$n.pid"
  MADBASE_LISTEN=http://127.0.0.1:5433$n MADBASE_SCRATCH_DIR=$cluster/node-$n/scratch \
    nohup "$bin" >"$cluster/node-$n.log" 2>&1 </dev/null &
  echo $! >"$cluster/node-$n.pid"
done

for n in 1 2 3; do
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:5433$n/ready" >/dev/null 2>&1 && break
    kill -0 "$(cat "$cluster/node-$n.pid")" 2>/dev/null || { echo "cluster.sh: node $n exited:"; tail -20 "$cluster/node-$n.log"; exit 1; }
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:5433$n/ready" >/dev/null || { echo "cluster.sh: node $n not ready after 30 s; see $cluster/node-$n.log"; exit 1; }
done

cat <<MSG

MadBase Edge cluster: http://127.0.0.1:54331, :54332, :54333 (logs .madbase/cluster/node-N.log)
NATS:                 nats://127.0.0.1:14222 (JetStream, store .madbase/nats)
PostgreSQL:           $MADBASE_DATABASE_URL
anon key:             $("$bin" token anon)
service_role key:     $("$bin" token service_role)

Stop it with: make cluster-stop
MSG
