# Turns the driver's RESULT lines (load/scenarios/realtime-cluster.sh) into the summary: the JetStream hop, three
# capped nodes against one, and the failover. Usage: awk -f realtime-cluster-report.awk -v cap=20 results.txt
function v(key) { return (key in f) ? f[key] : "-" }
# CPU-seconds per million deliveries x deliveries/s = % of one core over the step.
function pct(per_m, dps) { return (per_m == "-" || per_m == "NaN" || dps == "-") ? "-" : sprintf("%.0f", per_m * dps / 1e4) }

/^RESULT / {
  delete f
  for (i = 2; i <= NF; i++) { eq = index($i, "="); f[substr($i, 1, eq - 1)] = substr($i, eq + 1) }
  if (f["mode"] == "fanout" && f["server"] ~ /^hop[0-9]+-nats-/) { # hopR-nats-no|yes: round R without / with NATS
    split(f["server"], parts, "-"); r = substr(parts[1], 4) + 0; n = parts[3]; if (r > rounds) rounds = r
    hop_p50[r, n] = f["p50_ms"]; hop_p99[r, n] = f["p99_ms"]; hop_dps[r, n] = f["dps"]; hop_miss[r, n] = f["missing"]
    hop_other[r, n] = f["other_pct"]; hop_subs = f["subs"]; hop_rate = f["rate"]
  }
  if (f["mode"] == "ramp" || (f["mode"] == "fanout" && f["server"] ~ /^cap/)) { # ramp, or a fixed load above capacity
    split(f["server"], parts, "-x"); nodes = parts[2]; key = f["subs"] " " nodes
    if (!(f["subs"] in seen_subs)) { seen_subs[f["subs"]] = 1; subs_order[++subs_count] = f["subs"] }
    rate[key] = f["rate"]; strict[key] = v("strict_rate"); steps[key] = v("steps")
    if (f["mode"] == "fanout") { # kept up (deliveries/s near the offered load): not saturated, so only a lower bound
      rate[key] = "-"; kept[key] = (f["dps"] + 0 >= 0.9 * f["rate"] * f["subs"])
      steps[key] = sprintf("fixed load: %s/s offered, %s of %s delivered in %s s%s", f["rate"], f["received"], f["expected"],
        f["window_s"], kept[key] ? " (kept up: NOT saturated, a lower bound)" : "")
    }
    dps[key] = (f["rate"] + 0 == 0) ? 0 : f["dps"] + 0; p99[key] = v("p99_ms")
    node_pct[key] = pct(v("server_cpu_per_m"), v("dps")); driver_pct[key] = pct(v("client_cpu_per_m"), v("dps")); other[key] = v("other_pct")
  }
  if (f["mode"] == "failover") { fo = $0; fo_first = f["first_after_kill_ms"]; fo_all = f["all_after_kill_ms"]
    fo_missing = f["missing"]; fo_dup = f["duplicates"]; fo_ooo = f["out_of_order"]; fo_surv = f["survivors"]; fo_rows = f["rows"] }
}

END {
  if (rounds > 0) {
    printf "\n(1) JetStream hop: one node, %s subscribers x %s commits/s, commit -> client\n", hop_subs, hop_rate
    printf "%-6s %-22s %9s %9s %12s %8s %8s\n", "round", "", "p50 ms", "p99 ms", "deliveries/s", "missing", "others%"
    for (r = 1; r <= rounds; r++) {
      if (!(((r, "no") in hop_p99) && ((r, "yes") in hop_p99))) continue
      printf "%-6s %-22s %9s %9s %12s %8s %8s\n", r, "no NATS (one process)", hop_p50[r, "no"], hop_p99[r, "no"], hop_dps[r, "no"], hop_miss[r, "no"], hop_other[r, "no"]
      printf "%-6s %-22s %9s %9s %12s %8s %8s\n", r, "MADBASE_NATS_URL set", hop_p50[r, "yes"], hop_p99[r, "yes"], hop_dps[r, "yes"], hop_miss[r, "yes"], hop_other[r, "yes"]
      added = hop_p99[r, "yes"] - hop_p99[r, "no"]
      printf "round %s: added p50 %.2f ms, added p99 %.2f ms (goal <= 5 ms: %s)\n", r, hop_p50[r, "yes"] - hop_p50[r, "no"], added, added <= 5 ? "met" : "MISSED"
      printf "RESULT mode=cluster-hop round=%s p50_no_nats_ms=%s p99_no_nats_ms=%s p50_nats_ms=%s p99_nats_ms=%s added_p99_ms=%.2f\n",
        r, hop_p50[r, "no"], hop_p99[r, "no"], hop_p50[r, "yes"], hop_p99[r, "yes"], added
    }
  }
  if (subs_count > 0) {
    printf "\n(2) throughput, every node capped at %s %% of one core: the ramp's highest step with p99 <= 100 ms,\n", cap
    printf "    or (fixed load) deliveries/s until the backlog of an offered load above capacity was delivered\n"
    printf "%8s %6s %8s %8s %12s %8s %10s %10s %8s  %s\n", "subs", "nodes", "rate/s", "strict", "deliveries/s", "p99 ms",
      "nodes %cpu", "driver %cpu", "others%", "steps"
    for (s = 1; s <= subs_count; s++) {
      n = subs_order[s]
      for (c = 1; c <= 3; c += 2) {
        key = n " " c
        if (key in rate) printf "%8s %6s %8s %8s %12s %8s %10s %10s %8s  %s\n", n, c, rate[key], strict[key], dps[key], p99[key],
          node_pct[key], driver_pct[key], other[key], steps[key]
      }
      one = n " 1"; three = n " 3"
      if ((one in dps) && (three in dps)) {
        r = (dps[one] + 0 > 0) ? sprintf("%.2f", dps[three] / dps[one]) : "-"
        lower = (kept[three] || steps[three] !~ /fail/ && steps[three] ~ /ok/)
        if (lower) printf "(3 nodes did not reach their limit: the ratio is a lower bound)\n"
        if (kept[one]) printf "(1 node kept up with the offered load: the ratio is not meaningful)\n"
        printf "%s subscribers: 3 nodes / 1 node = %s (goal >= 2.5: %s)\n", n, r,
          (r != "-" && r + 0 >= 2.5) ? "met" : (lower ? "not shown: a lower bound below the goal" : "MISSED")
        printf "RESULT mode=cluster-throughput subs=%s cap_pct=%s dps_1=%s dps_3=%s ratio=%s\n", n, cap, dps[one], dps[three], r
      }
    }
  }
  if (fo != "") {
    printf "\n(3) failover: kill -9 of the slot leader, %s rows at a steady rate, %s clients on the surviving nodes\n", fo_rows, fo_surv
    printf "first row committed after the kill at a client: %s ms after the kill (goal <= 5000 ms: %s); at every client: %s ms\n",
      fo_first, (fo_first != "NaN" && fo_first + 0 <= 5000) ? "met" : "MISSED", fo_all
    printf "rows missing %s, duplicated %s, out of order %s (summed over the surviving clients)\n", fo_missing, fo_dup, fo_ooo
  }
}
