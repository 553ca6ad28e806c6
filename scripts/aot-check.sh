#!/usr/bin/env bash
# `make aot-check`: a fresh Native AOT publish of src/Edge for linux-x64. Fails on any IL2xxx/IL3xxx
# (trim/AOT analysis) warning and prints the binary size.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .madbase
out=artifacts/aot-check
rm -rf "$out"
dotnet publish src/Edge -c Release -r linux-x64 -o "$out" --no-incremental -p:TreatWarningsAsErrors=false >.madbase/aot-check.log 2>&1
rc=$?
warnings=$(grep -oE 'warning IL[23][0-9]{3}[^[]*' .madbase/aot-check.log | sort -u)
count=$(printf '%s' "$warnings" | grep -c . || true)
if [ "$rc" != 0 ]; then tail -30 .madbase/aot-check.log; echo "aot-check: publish failed"; exit 1; fi
if [ "$count" != 0 ]; then printf '%s\n' "$warnings"; echo "aot-check: $count IL2xxx/IL3xxx warning(s)"; exit 1; fi
size=$(stat -c %s "$out/madbase-edge")
echo "aot-check: 0 IL2xxx/IL3xxx warnings; binary $out/madbase-edge is $size bytes ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
