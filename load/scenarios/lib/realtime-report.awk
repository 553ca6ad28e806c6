# Turns the driver's RESULT lines (load/scenarios/realtime-fanout.sh) into the three tables and the
# MadBase / peer ratios. Usage: awk -f realtime-report.awk -v idle_n=10000 results.txt
function value(key) { return (key in f) ? f[key] : "-" }
function ratio(a, b) { return (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }

/^RESULT / {
  delete f
  for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
  s = f["server"]
  if (!(s in seen)) { seen[s] = 1; order[++count] = s }
  if (f["mode"] == "idle" && f["subs"] == idle_n) {
    rss0[s] = f["rss0_kib"] / 1024; rssn[s] = f["rss_kib"] / 1024; kib[s] = f["kib_per_conn"]
  }
  if (f["mode"] == "idle" && f["subs"] == 1000) kib1k[s] = f["kib_per_conn"]
  if (f["mode"] == "fanout") {
    fo[s] = sprintf("%-8s %8s %8s %12s %9s %9s %9s %10s %10s %8s %7s", s, f["subs"], f["rate"], f["dps"],
      f["p50_ms"], f["p99_ms"], f["max_ms"], f["server_cpu_per_m"], f["client_cpu_per_m"], f["missing"], value("other_pct"))
    fo_p99[s] = f["p99_ms"]; fo_cpu[s] = f["server_cpu_per_m"]; fo_dps[s] = f["dps"]
  }
  if (f["mode"] == "ramp") {
    rp[s] = sprintf("%-8s %8s %10s %10s %12s %9s %10s %10s %7s", s, f["subs"], f["rate"], value("strict_rate"), f["dps"],
      f["p99_ms"], f["server_cpu_per_m"], f["client_cpu_per_m"], value("other_pct"))
    if (f["rate"] == 0) rp[s] = sprintf("%-8s %8s %10s  no step passed (%s)", s, f["subs"], 0, value("steps"))
    rp_dps[s] = value("dps"); rp_cpu[s] = value("server_cpu_per_m"); rp_rate[s] = f["rate"]
  }
}

END {
  printf "\n(a) idle connections: server RSS (MiB) and RSS per connection (KiB), N = %s\n", idle_n
  printf "%-8s %10s %12s %12s %14s\n", "server", "RSS @0", "RSS @N", "KiB/conn @N", "KiB/conn @1k"
  for (i = 1; i <= count; i++) { s = order[i]
    if (s in kib) printf "%-8s %10.1f %12.1f %12s %14s\n", s, rss0[s], rssn[s], kib[s], (s in kib1k) ? kib1k[s] : "-"
    else printf "%-8s %10s\n", s, "no result" }

  printf "\n(b) fan-out: every tick to every subscriber (latency publish/commit -> client receive)\n"
  printf "%-8s %8s %8s %12s %9s %9s %9s %10s %10s %8s %7s\n", "server", "subs", "ticks/s", "deliv/s", "p50 ms", "p99 ms",
    "max ms", "srv CPU/1M", "cli CPU/1M", "missing", "others%"
  for (i = 1; i <= count; i++) { s = order[i]; print (s in fo) ? fo[s] : sprintf("%-8s no result", s) }

  printf "\n(c) ramp: highest rate with p99 <= 100 ms, nothing missing, publisher on schedule\n"
  printf "%-8s %8s %10s %10s %12s %9s %10s %10s %7s\n", "server", "subs", "max tick/s", "strict", "deliv/s", "p99 ms",
    "srv CPU/1M", "cli CPU/1M", "others%"
  for (i = 1; i <= count; i++) { s = order[i]; print (s in rp) ? rp[s] : sprintf("%-8s no passing step", s) }

  if ("madbase" in seen) {
    printf "\nratios MadBase / peer (KiB, p99, CPU: lower is better for MadBase; deliveries/s, max rate: higher is better)\n"
    printf "%-8s %12s %10s %12s %12s %12s %12s\n", "peer", "KiB/conn", "(b) p99", "(b) CPU/1M", "(b) deliv/s", "(c) max rate", "(c) CPU/1M"
    for (i = 1; i <= count; i++) { s = order[i]; if (s == "madbase") continue
      printf "%-8s %12s %10s %12s %12s %12s %12s\n", s, ratio(kib["madbase"], kib[s]), ratio(fo_p99["madbase"], fo_p99[s]),
        ratio(fo_cpu["madbase"], fo_cpu[s]), ratio(fo_dps["madbase"], fo_dps[s]), ratio(rp_rate["madbase"], rp_rate[s]),
        ratio(rp_cpu["madbase"], rp_cpu[s]) }
  }
}
