#!/usr/bin/env bash
# `make fuzz [TARGET=name] [FUZZ_SECONDS=600] [FUZZ_EXECS=10000000]`: AFL++ campaigns over the codec harnesses of tests/Fuzz, one target at a
# time (all of them when TARGET is unset). Installs afl++ (Debian) and the SharpFuzz.CommandLine tool when missing,
# builds tests/Fuzz into .madbase/fuzz/bin, instruments MadBase.Protocol.dll and madbase-edge.dll there (never the
# AOT binary or the test builds), runs afl-fuzz from the seed corpus tests/Fuzz/corpus/TARGET, then prints per target
# executions, corpus paths, edge coverage, crashes and hangs, and replays every crash on the uninstrumented build.
# FUZZ_EXECS ends a target after that many executions (afl-fuzz -E); FUZZ_SECONDS still caps its time.
# Findings stay in .madbase/fuzz/findings/TARGET; exit 1 when any target has a crash or hang.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${FUZZ_SECONDS:-600}
execs=${FUZZ_EXECS:-}
work=$root/.madbase/fuzz
tools=$root/.madbase/tools
bin=$work/bin

if ! command -v afl-fuzz >/dev/null; then
  echo "fuzz.sh: installing afl++ (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

echo "==> build tests/Fuzz, copy it to .madbase/fuzz/bin and instrument the codec assemblies there"
mkdir -p "$work"
dotnet build tests/Fuzz -c Release >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
rm -rf "$bin" && cp -r tests/Fuzz/bin/Release/net10.0 "$bin"
for dll in MadBase.Protocol.dll madbase-edge.dll; do
  "$tools/sharpfuzz" "$bin/$dll" >/dev/null
done

targets=${TARGET:-$(dotnet "$bin/MadBase.Fuzz.dll" list | awk '{print $1}')}
status=0
summary=()
for target in $targets; do
  [ -d "tests/Fuzz/corpus/$target" ] || { echo "unknown target $target"; exit 2; }
  out=$work/findings/$target
  rm -rf "$out" && mkdir -p "$work/findings"
  echo "==> afl-fuzz $target for ${seconds}s${execs:+ or $execs executions}"
  # Persistent mode (SharpFuzz's out-of-process runner keeps one dotnet process); dotnet itself carries no AFL
  # instrumentation marker, hence SKIP_BIN_CHECK. NO_AFFINITY: the machine is shared, do not pin a core.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    afl-fuzz -V "$seconds" ${execs:+-E "$execs"} -t 5000 -m none -i "tests/Fuzz/corpus/$target" -o "$out" \
      -- dotnet "$bin/MadBase.Fuzz.dll" "$target" >"$out.log" 2>&1 || { tail -30 "$out.log"; status=1; continue; }
  stats=$out/default/fuzzer_stats
  field() { awk -F' *: *' -v k="$1" '$1 == k {print $2}' "$stats"; }
  crashes=$(field saved_crashes); hangs=$(field saved_hangs)
  line=$(printf '%-15s %9s execs %7s/s  paths %5s  edges %s  crashes %s  hangs %s' "$target" "$(field execs_done)" \
    "$(field execs_per_sec)" "$(field corpus_count)" "$(field bitmap_cvg)" "$crashes" "$hangs")
  summary+=("$line")
  if [ "${crashes:-0}" != 0 ]; then
    # Replayed on the build before instrumentation: instrumented code outside afl-fuzz has no coverage map to write
    # to and dies with an AccessViolationException that hides the finding.
    dotnet "tests/Fuzz/bin/Release/net10.0/MadBase.Fuzz.dll" "$target" "$out/default/crashes" | grep -v '^   at' || true
  fi
  [ "${crashes:-0}" = 0 ] && [ "${hangs:-0}" = 0 ] || status=1
done

echo
echo "$(date -u +%Y-%m-%d) afl-fuzz ${seconds}s${execs:+ or $execs executions} per target (findings in .madbase/fuzz/findings):"
printf '%s\n' "${summary[@]}"
exit $status
