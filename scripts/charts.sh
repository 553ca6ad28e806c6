#!/usr/bin/env bash
# `make charts` (also the end of `make load`): renders the last load results (.madbase/load-rt/results.txt,
# .madbase/load-tus/results.json) and, with METRICS_URL set, a live server's /metrics as SVG charts in load/results/
# with REPORT.md beside them. vega-lite and vega from load/charts/package-lock.json, installed when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=load/charts
stamp=$dir/node_modules/.madbase-lock.sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
fi
exec node "$dir/report.mjs" ${METRICS_URL:+--metrics-url "$METRICS_URL"} "$@"
