#!/usr/bin/env bash
# Installs what braid's browser tests need on a fresh machine: Debian's chromium and the
# npm packages in e2e/ (playwright-core drives the system chromium; it never downloads a
# browser of its own). Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d e2e/node_modules/playwright-core ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  echo "installing the browser tests' npm packages"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
