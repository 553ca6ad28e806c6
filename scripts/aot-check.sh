#!/usr/bin/env bash
# `make aot-check`: a fresh Native AOT publish of src/Edge for linux-x64. Fails on any IL2xxx/IL3xxx
# (trim/AOT analysis) warning and prints the binary size.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .madbase
out=artifacts/aot-check
rm -rf "$out"
# `dotnet publish` has no --no-incremental (SDK 10 rejects it); removing ILC's intermediate output instead makes
# the native compiler rerun, and it reports every IL2xxx/IL3xxx warning for the whole app each time it runs.
rm -rf src/Edge/obj/Release/net10.0/linux-x64/native
dotnet publish src/Edge -c Release -r linux-x64 -o "$out" -p:TreatWarningsAsErrors=false >.madbase/aot-check.log 2>&1
rc=$?
warnings=$(grep -oE 'warning IL[23][0-9]{3}[^[]*' .madbase/aot-check.log | sort -u)
count=$(printf '%s' "$warnings" | grep -c . || true)
if [ "$rc" != 0 ]; then tail -30 .madbase/aot-check.log; echo "aot-check: publish failed"; exit 1; fi
if [ "$count" != 0 ]; then printf '%s\n' "$warnings"; echo "aot-check: $count IL2xxx/IL3xxx warning(s)"; exit 1; fi
size=$(stat -c %s "$out/madbase-edge")
echo "aot-check: 0 IL2xxx/IL3xxx warnings; binary $out/madbase-edge is $size bytes ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
