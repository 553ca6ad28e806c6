#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (tests/Edge.Tests/Browser), which drive it through npm
# playwright-core: Playwright's own browser download cannot work on these machines, the Debian package can.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
echo "chromium.sh: installing chromium (Debian package)"
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
