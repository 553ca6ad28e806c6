#!/usr/bin/env bash
# `make load`: every end-to-end load scenario under load/scenarios, each against its peers in the same run.
# Scenarios are bounded and stop what they start. Pick some with: make load SCENARIOS="replication"
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for scenario in ${SCENARIOS:-$(ls load/scenarios/*.sh | xargs -n1 basename | sed 's/\.sh$//')}; do
  echo "==> load scenario: $scenario"
  bash "load/scenarios/$scenario.sh" || { echo "scenario $scenario failed"; status=1; }
done
scripts/charts.sh || { echo "charts failed"; status=1; }
exit $status
