#!/usr/bin/env bash
# System packages the test suite needs, installed only when missing (idempotent).
# - chromium: Debian's browser, driven by Playwright in tests/test_site_browser.py
#   (never `playwright install`: the browser comes from the distribution).
# Called by `make test` (through the Makefile's system-packages target).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages (${need[*]}) and no apt-get: install them by hand" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
