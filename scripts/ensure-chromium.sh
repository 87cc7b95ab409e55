#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with playwright-core; nothing downloads a browser at install time.
# CI calls this before `npm test`; it installs Chromium with apt only when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
