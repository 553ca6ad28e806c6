#!/usr/bin/env bash
# `make test`: installs and starts everything the tests need, runs the unit tests, publishes the AOT binary and
# runs the end-to-end tests against it, then stops what it started (by PID). Writes the totals to
# .madbase/test-results and prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state=$root/.madbase
mkdir -p "$state"

PG_PORT=${MADBASE_TEST_PG_PORT:-25432} # below 32768: the ephemeral range above it belongs to client sockets
S3_PORT=${MADBASE_TEST_S3_PORT:-4568}
pg_dir=$state/pg-test
s3_dir=$state/s3-test
s3_pid=""

cleanup() {
  if [ -n "$s3_pid" ] && kill -0 "$s3_pid" 2>/dev/null; then kill "$s3_pid"; wait "$s3_pid" 2>/dev/null; fi
  scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

step "PostgreSQL 15 test cluster (fresh) on 127.0.0.1:$PG_PORT"
scripts/pg.sh stop "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir"
scripts/pg.sh start "$pg_dir" "$PG_PORT" || exit 1
# Tests do not need durability of the test cluster itself; the server under test still fsyncs its own files.
# Every test database gets its own permanent slot (slot names are cluster-wide), hence the generous limits.
cat >>"$pg_dir/data/postgresql.conf" <<CONF
fsync = off
max_replication_slots = 400
max_wal_senders = 80
max_connections = 500
CONF
scripts/pg.sh stop "$pg_dir" >/dev/null && scripts/pg.sh start "$pg_dir" "$PG_PORT" >/dev/null || exit 1

step "nats-server (cluster-mode tests start their own, with JetStream, on test ports)"
# Debian's package (2.9.x); the tests run it from /usr/sbin. apt lists may be empty on a fresh machine.
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y nats-server >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y nats-server >/dev/null; } || {
    echo "could not install nats-server"; exit 1; }
fi
"$(command -v nats-server || echo /usr/sbin/nats-server)" --version || true

step "npm clients and the S3 test server (tests/js)"
scripts/node-deps.sh || exit 1
scripts/chromium.sh || exit 1
rm -rf "$s3_dir" && mkdir -p "$s3_dir"
node --openssl-legacy-provider tests/js/s3rver-plus.mjs --dir "$s3_dir/data" --port "$S3_PORT" --bucket madbase-test \
  >"$s3_dir/server.log" 2>&1 &
s3_pid=$!
for _ in $(seq 1 100); do grep -q ready "$s3_dir/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$s3_dir/server.log" || { echo "S3 test server did not start:"; cat "$s3_dir/server.log"; exit 1; }

passed=0; failed=0
run_tests() { # project [NAME=value ...] [-- dotnet test arguments ...]
  local project=$1; shift
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && args=("$@")
  local log=$state/$(basename "$project")${args:+-$(echo "${args[*]}" | tr -c 'A-Za-z0-9' '-')}.log
  step "tests: $project ${args[*]}"
  env "${envs[@]}" dotnet test --project "$project" -c Release --no-build "${args[@]}" 2>&1 | tee "$log"
  local t f s
  t=$(grep -E '^\s*total: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  f=$(grep -E '^\s*failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  s=$(grep -E '^\s*succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  if [ -z "$t" ]; then echo "no test summary from $project: counting it as one failure"; failed=$((failed + 1)); return; fi
  passed=$((passed + ${s:-0})); failed=$((failed + ${f:-0}))
}

step "build (Release)"
dotnet build MadBase.sln -c Release -warnaserror 2>&1 | tail -3
[ "${PIPESTATUS[0]}" = 0 ] || { echo "0 passed, 1 failed"; exit 1; }

run_tests tests/Protocol.Tests

step "publish the AOT binary"
make -s publish || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }

# The container test runs it with podman; runc because Debian 12's crun cannot run under hybrid cgroups (sandboxes).
step "container image (make image) for the podman test"
command -v runc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc >/dev/null; }
make -s image IMAGE=localhost/madbase-edge:test || echo "make image failed: ContainerImageTests will fail"

edge_env=(
  MADBASE_TEST_BINARY="$root/artifacts/publish/madbase-edge"
  MADBASE_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
  MADBASE_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  MADBASE_TEST_S3_BUCKET=madbase-test
  MADBASE_TEST_NODE_DIR="$root/tests/js"
  MADBASE_TEST_CHROMIUM="$(command -v chromium)"
  MADBASE_TEST_IMAGE=localhost/madbase-edge:test
  MADBASE_TEST_WORKDIR="$state/test-work"
)
run_tests tests/Edge.Tests "${edge_env[@]}"

# The realtime and WebSocket suites once more on the other transport (Kestrel's sockets, the arm64 path): the
# WebSocket core is shared, the transports only move bytes, and this shows it. MADBASE_TEST_OTHER_TRANSPORT=0 skips it.
if [ -z "${MADBASE_TEST_REALTIME_TRANSPORT:-}" ] && [ "${MADBASE_TEST_OTHER_TRANSPORT:-1}" != 0 ]; then
  run_tests tests/Edge.Tests "${edge_env[@]}" MADBASE_TEST_REALTIME_TRANSPORT=kestrel -- \
    --filter-namespace 'MadBase.Edge.Tests.Realtime*' --filter-namespace 'MadBase.Edge.Tests.WebSockets*'
fi

echo "$passed $failed" >"$state/test-results"
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
