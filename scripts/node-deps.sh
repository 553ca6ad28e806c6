#!/usr/bin/env bash
# Installs the npm clients the end-to-end tests drive (supabase-js, ws, tus-js-client) and the S3 test server,
# from tests/js/package-lock.json. Skips the install when node_modules already matches the lock file.
set -euo pipefail
cd "$(dirname "$0")/../tests/js"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node-deps.sh: installing Node.js and npm (Debian packages)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
stamp=node_modules/.madbase-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
