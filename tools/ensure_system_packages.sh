#!/usr/bin/env bash
# Debian packages the course's commands need, installed only when missing (idempotent).
#
#   tools/ensure_system_packages.sh            everything `make test` uses
#   tools/ensure_system_packages.sh grading    only what `make grade` needs
#
# What each group brings, and who uses it:
# - grading: bubblewrap (/usr/bin/bwrap), the jail every submission runs in
#   (labs/kinesis_grader/sandbox.py); util-linux's prlimit and setpriv, which drop limits and
#   privileges inside it. Used by `make grade` and the grading tests.
# - browser: chromium-headless-shell (/usr/bin/chromium-headless-shell), Debian's chromium in
#   its headless build (no desktop browser, no GTK), driven by Playwright in
#   tests/course/test_site_browser.py and tests/course/test_lite_browser.py (never
#   `playwright install`: the browser comes from Debian; tools/lite/driver.py says why).
# - hub: nodejs and npm, which install and run JupyterHub's proxy (configurable-http-proxy, from
#   the npm registry: tools/hub/install_proxy.sh) for tests/course/test_jupyterhub_class.py. Skipped
#   when node and npm are already there (any Node.js >= 18 runs the pinned proxy).
# `make test` runs all groups, so a green CI run proves these install steps, not the machine's
# history (tests/conftest.py turns a skip for a missing tool into a failure under CI=true).
set -euo pipefail

groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
  groups=(grading browser hub)
fi

need=()
for group in "${groups[@]}"; do
  case "$group" in
    grading)
      [ -x /usr/bin/bwrap ] || need+=(bubblewrap)
      { command -v prlimit >/dev/null && command -v setpriv >/dev/null; } || need+=(util-linux)
      ;;
    browser)
      [ -x /usr/bin/chromium-headless-shell ] || need+=(chromium-headless-shell)
      ;;
    hub)
      command -v node >/dev/null || need+=(nodejs)
      command -v npm >/dev/null || need+=(npm)
      ;;
    *)
      echo "unknown group '$group' (known: grading, browser, hub)" >&2
      exit 2
      ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages (${need[*]}) and no apt-get here: install them by hand" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "installing system packages: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
