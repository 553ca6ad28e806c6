#!/usr/bin/env bash
# `make stop`: SIGTERM the server started by `make run` (by its PID file), then stop the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(pwd)/.madbase
if [ -f "$state/edge.pid" ]; then
  pid=$(cat "$state/edge.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "stop.sh: server stopped (pid $pid)"
  fi
  rm -f "$state/edge.pid"
fi
scripts/pg.sh stop "$state/pg"
