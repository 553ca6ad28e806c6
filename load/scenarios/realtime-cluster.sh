#!/usr/bin/env bash
# Realtime cluster (issue #19, "Must show" for load/): MadBase Edge nodes on one nats-server (JetStream) and one
# PostgreSQL, same box, same run.
#   hop:        one node without MADBASE_NATS_URL, then one node with it (its changes go slot -> JetStream -> node):
#               HOP_N subscribers x HOP_RATE commits/s for HOP_SECONDS, commit -> client p50/p99 and the p99 difference
#   throughput: one node, then three (subscribers round-robin over them), every node capped at CAP_PCT % of one core
#               (cgroup v1 cpu controller, cfs quota), at each of THROUGHPUT_SUBS subscribers: aggregate deliveries/s
#               and the ratio three nodes / one node. Below SATURATE_SUBS: the ramp's highest rate with p99 <= 100 ms.
#               From SATURATE_SUBS on, one commit's fan-out alone takes a capped node longer than 100 ms (10,000 frames
#               at 6-15 us of CPU each, at 20 % of a core: 0.3-0.75 s), so no ramp step can pass: a fixed offered load of
#               SATURATE_RATE commits/s for 10 s, above what even three nodes take, and deliveries/s until the last
#               delivery (backlog drained) = what the nodes sustain
#   failover:   three uncapped nodes, FAILOVER_N subscribers spread over them, FAILOVER_RATE one-row commits/s for
#               FAILOVER_SECONDS; the driver kill -9s the slot leader (madbase_cluster_slot_leader 1 on /metrics) after
#               FAILOVER_KILL_AFTER s: time from the kill to the first later row at a client of another node, and every
#               row for every client of the surviving nodes, once, in order
# Why the cap: the box has 2 cores shared by the driver, PostgreSQL, nats-server and every node. Uncapped, three
# nodes would only share the same two cores with each other and with the driver, and the comparison would measure the
# box. Capped at the same share each, a node is the limit (its quota is spent, the driver and PostgreSQL are not), and
# three nodes have three times one node's CPU, as three machines would. The driver's CPU share is reported per step.
# Each phase gets a fresh slot and a fresh JetStream store. Bounded: every wait and every driver run has a timeout;
# everything started here is stopped by PID on exit and the cgroups are removed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

HOP_N=${HOP_N:-1000}
HOP_RATE=${HOP_RATE:-20}               # 1,000 x 100/s saturates this 2-core box (p99 in the 100s of ms either way)
HOP_SECONDS=${HOP_SECONDS:-10}
HOP_ROUNDS=${HOP_ROUNDS:-2}             # without / with NATS, alternated: the shared box's noise shows in the spread
THROUGHPUT_SUBS=${THROUGHPUT_SUBS:-1000 10000}
CAP_PCT=${CAP_PCT:-20}                  # each node's CPU quota, % of one core
RATES_1K=${RATES_1K:-5,10,15,20,25,30,35,40,45,50,60,70,80,100,120,140,170,200}
RATES_10K=${RATES_10K:-1,2,3,4,5,6,7,8,9,10,12,14,16,18,20,24,28}
RAMP_STEP_SECONDS=${RAMP_STEP_SECONDS:-4}
SATURATE_SUBS=${SATURATE_SUBS:-10000}
SATURATE_RATE=${SATURATE_RATE:-15}      # x 10,000 = 150,000 deliveries/s offered: above three capped nodes (60,000 was not)
FAILOVER_N=${FAILOVER_N:-999}
FAILOVER_RATE=${FAILOVER_RATE:-100}
FAILOVER_SECONDS=${FAILOVER_SECONDS:-20}
FAILOVER_KILL_AFTER=${FAILOVER_KILL_AFTER:-5}
PHASES=${PHASES:-hop throughput failover}
PG_FSYNC=${PG_FSYNC:-off}               # as realtime-fanout.sh: the shared VM's disk latency kept out of commit -> client
PG_PORT=${LOAD_CL_PG_PORT:-29432}       # every port below 32768, outside the ephemeral range (see realtime-fanout.sh)
NATS_PORT=${LOAD_CL_NATS_PORT:-29222}
EDGE_PORTS=(26501 26502 26503)
BIN=${MADBASE_BIN:-$root/artifacts/publish/madbase-edge}
NATS_BIN=${NATS_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
CGROUP=/sys/fs/cgroup/cpu

dir=$root/.madbase/pg-load-cl
out=$root/.madbase/load-cl
driver=$root/load/bin/Release/net10.0/MadBase.Load
secret=load-cl-load-cl-load-cl-load-cl-load-cl
slot=load_cl
source load/scenarios/lib/postgres.sh
source load/scenarios/lib/processes.sh

node_pids=()
nats_pid=""
stop_all() {
  for pid in "${node_pids[@]}"; do stop_pid "$pid"; done
  node_pids=()
  [ -n "$nats_pid" ] && stop_pid "$nats_pid"
  nats_pid=""
  for n in 1 2 3; do [ -d "$CGROUP/madbase-load-$n" ] && rmdir "$CGROUP/madbase-load-$n" 2>/dev/null || true; done
}
cleanup() { stop_all; pg_stop "$dir"; }
trap cleanup EXIT

need_open_files $(( 10000 + 1024 )) realtime-cluster || exit 1
[ -x "$BIN" ] || { echo "realtime-cluster: $BIN missing (make publish)"; exit 1; }
[ -x "$NATS_BIN" ] || { echo "realtime-cluster: nats-server missing (apt-get install nats-server)"; exit 1; }
case " $PHASES " in
  *" throughput "*) if ! { [ -w "$CGROUP" ] && [ -f "$CGROUP/cpu.cfs_quota_us" ]; }; then
    # Uncapped, three nodes on this box would measure the box, not the nodes: no figure rather than a misleading one.
    echo "realtime-cluster: SKIPPING throughput: it needs root and the cgroup v1 cpu controller at $CGROUP"
    PHASES=${PHASES//throughput/}
  fi ;;
esac

mkdir -p "$root/.madbase"
echo "building the driver…"
dotnet build load/MadBase.Load.csproj -c Release -v q -nologo >"$root/.madbase/load-cl-build.log" 2>&1 \
  || { tail -20 "$root/.madbase/load-cl-build.log"; exit 1; }

rm -rf "$out"; mkdir -p "$out"
pg_fresh "$dir" "$PG_PORT" "fsync=$PG_FSYNC"
psql -c "create database load"
psql -d load -c "create table ticks(id bigserial primary key, ts bigint not null, pad text)" \
  -c "grant select on ticks to public" \
  -c "create publication madbase_pub for table ticks" >/dev/null
pg_conn="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=load;Pooling=false"
apikey=$(MADBASE_JWT_SECRET=$secret "$BIN" token anon)

wait_ready() { # PORT PID LOG: until /ready answers 200 (with NATS: connected), for at most 30 s
  for _ in $(seq 1 300); do
    curl -fs --max-time 1 "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "node exited:"; tail -20 "$3"; return 1; }
    sleep 0.1
  done
  echo "port $1 not ready after 30 s"; tail -20 "$3"; return 1
}

start_nats() { # fresh JetStream store
  rm -rf "$dir/nats"
  "$NATS_BIN" -js -sd "$dir/nats" -a 127.0.0.1 -p "$NATS_PORT" >"$out/nats-$phase.log" 2>&1 </dev/null &
  nats_pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null && return 0; sleep 0.1; done
  echo "nats-server not listening after 10 s"; tail -20 "$out/nats-$phase.log"; return 1
}

fresh_slot() { # nodes stopped: the next leader creates the slot anew, at the current WAL position
  psql -d load -c "select pg_drop_replication_slot('$slot') from pg_replication_slots where slot_name = '$slot'" >/dev/null
  rm -rf "$dir/scratch-"*
}

start_nodes() { # COUNT NATS(yes|no) CAP(pct|0): COUNT nodes, sets node_pids and the driver's target arguments
  local count=$1 nats=$2 cap=$3 ports="" pids="" env_nats=()
  [ "$nats" = yes ] && env_nats=(MADBASE_NATS_URL=nats://127.0.0.1:$NATS_PORT)
  for n in $(seq 1 "$count"); do
    local port=${EDGE_PORTS[$((n - 1))]} log=$out/$phase-$count-node$n.log
    env "${env_nats[@]}" MADBASE_LISTEN=http://127.0.0.1:$port MADBASE_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/load \
      MADBASE_JWT_SECRET=$secret MADBASE_SLOT=$slot MADBASE_PUBLICATION=madbase_pub \
      MADBASE_STORAGE_DIR=$dir/storage MADBASE_SCRATCH_DIR=$dir/scratch-$n "$BIN" >"$log" 2>&1 </dev/null &
    local pid=$!
    node_pids+=("$pid")
    if [ "$cap" != 0 ]; then # every thread of the node, now and later, in a group with a quota of CAP % of one core
      local group=$CGROUP/madbase-load-$n
      mkdir -p "$group"
      echo 100000 >"$group/cpu.cfs_period_us"
      echo $(( cap * 1000 )) >"$group/cpu.cfs_quota_us"
      echo "$pid" >"$group/cgroup.procs"
    fi
    ports+=${ports:+,}$port; pids+=${pids:+,}$pid
  done
  for n in $(seq 1 "$count"); do wait_ready "${EDGE_PORTS[$((n - 1))]}" "${node_pids[$((n - 1))]}" "$out/$phase-$count-node$n.log"; done
  target=(--server madbase --apikey "$apikey" --pg "$pg_conn" --ports "$ports" --pids "$pids")
}

leader_pid() { # the node whose /metrics says it reads the slot; waits up to 30 s for exactly one
  for _ in $(seq 1 60); do
    local found=()
    for i in "${!node_pids[@]}"; do
      curl -fs --max-time 2 "http://127.0.0.1:${EDGE_PORTS[$i]}/metrics" 2>/dev/null \
        | grep -q '^madbase_cluster_slot_leader 1' && found+=("${node_pids[$i]}")
    done
    [ "${#found[@]}" = 1 ] && { echo "${found[0]}"; return 0; }
    sleep 0.5
  done
  echo "no single slot leader after 30 s" >&2; return 1
}

drive_as() { # SECONDS LABEL MODE ARGS…: drive (lib/processes.sh), the run labelled LABEL in results.txt
  local limit=$1 label=$2; shift 2
  drive "$limit" "$@" --label "$label"
}

load_now() { uptime | sed 's/.*load/load/'; }

status=0
echo "realtime cluster, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores shared by driver, nodes, nats-server and PostgreSQL; $(load_now)"
for phase in $PHASES; do
  echo "==> $phase ($(date -u +%H:%M:%SZ), $(load_now))"
  case "$phase" in
    hop)
      for round in $(seq 1 "$HOP_ROUNDS"); do for nats in no yes; do
        fresh_slot; [ "$nats" = yes ] && start_nats
        start_nodes 1 "$nats" 0
        drive_as $(( 240 + HOP_N / 25 )) "hop$round-nats-$nats" fanout --subscribers "$HOP_N" --rate "$HOP_RATE" \
          --seconds "$HOP_SECONDS" --warmup-seconds 2 --drain-seconds 60 || { echo "hop nats=$nats failed"; status=1; }
        stop_all
      done; done ;;
    throughput)
      for subs in $THROUGHPUT_SUBS; do
        rates=$RATES_1K; [ "$subs" -ge 10000 ] && rates=$RATES_10K
        for count in 1 3; do
          echo "--> $subs subscribers, $count node(s) at $CAP_PCT % of a core each ($(date -u +%H:%M:%SZ), $(load_now))"
          fresh_slot; start_nats
          start_nodes "$count" yes "$CAP_PCT"
          if [ "$subs" -ge "$SATURATE_SUBS" ]; then
            drive_as $(( 600 + subs / 10 )) "cap$CAP_PCT-x$count" fanout --subscribers "$subs" --rate "$SATURATE_RATE" \
              --seconds 10 --warmup-seconds 1 --drain-seconds 240 || { echo "fixed load $subs x $count failed"; status=1; }
          else
            drive_as $(( 900 + subs / 10 )) "cap$CAP_PCT-x$count" ramp --subscribers "$subs" --rates "$rates" \
              --step-seconds "$RAMP_STEP_SECONDS" --drain-seconds 30 --retries 1 || { echo "ramp $subs x $count failed"; status=1; }
          fi
          stop_all
        done
      done ;;
    failover)
      fresh_slot; start_nats
      start_nodes 3 yes 0
      leader=$(leader_pid)
      echo "slot leader: pid $leader"
      drive_as $(( 300 + FAILOVER_N / 10 )) failover failover --subscribers "$FAILOVER_N" --rate "$FAILOVER_RATE" \
        --seconds "$FAILOVER_SECONDS" --kill-after-seconds "$FAILOVER_KILL_AFTER" --kill-pid "$leader" --timeout-seconds 120 \
        || { echo "failover: rows missing, repeated or out of order (see above)"; status=1; }
      for i in "${!node_pids[@]}"; do
        [ "${node_pids[$i]}" = "$leader" ] && continue
        curl -fs --max-time 2 "http://127.0.0.1:${EDGE_PORTS[$i]}/metrics" 2>/dev/null \
          | grep -E '^madbase_cluster_(slot_leader|changes_gaps_total) ' | tr '\n' ' ' | sed "s/^/node $((i + 1)): /"; echo
      done
      stop_all ;;
    *) echo "unknown phase $phase"; status=1 ;;
  esac
done

echo
echo "realtime cluster, done $(date -u +%Y-%m-%dT%H:%M:%SZ), $(load_now)"
awk -f load/scenarios/lib/realtime-cluster-report.awk -v cap="$CAP_PCT" "$out/results.txt"
exit $status
