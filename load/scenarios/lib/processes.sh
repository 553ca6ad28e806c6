# shellcheck shell=bash
# Process helpers for the load scenarios (sourced). Everything a scenario starts is stopped by its PID, and every
# wait and every driver run is bounded in time.
#   need_open_files NEED WHO [HINT]   raise the soft open-file limit to the hard one; print why and fail below NEED
#   stop_pid PID                      SIGTERM, up to 10 s to exit, then SIGKILL; reaps it
#   stop_server                       stop_pid $server_pid (a scenario's one server under test) if set, and unset it
#   wait_port PORT PID LOG            until 127.0.0.1:PORT accepts connections, at most 30 s; fails (with LOG's tail)
#                                     if the process ends first
#   drive SECONDS MODE ARGS…          one driver run ($driver MODE ARGS… then ${target[@]}), killed after SECONDS; its
#                                     output goes to the terminal and to $out/results.txt; returns the driver's status

need_open_files() {
  # Client and server each hold one descriptor per connection (plus their own few hundred).
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$1" ]; then
    echo "$2: open-file limit $(ulimit -n) < $1${3:+; $3}"; return 1
  fi
}

stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

server_pid=""
stop_server() { if [ -n "$server_pid" ]; then stop_pid "$server_pid"; server_pid=""; fi; }

wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "server exited:"; tail -20 "$3"; return 1; }
    sleep 0.1
  done
  echo "port $1 not open after 30 s"; tail -20 "$3"; return 1
}

drive() {
  local limit=$1; shift
  # shellcheck disable=SC2154 # driver, target and out are the scenario's
  timeout --kill-after=10 "$limit" "$driver" "$@" "${target[@]}" 2>&1 | tee -a "$out/results.txt"
  return "${PIPESTATUS[0]}"
}
