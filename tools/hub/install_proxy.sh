#!/usr/bin/env bash
# JupyterHub's proxy (configurable-http-proxy, an npm package) for the class hub, installed
# from the npm registry exactly as tools/hub/package-lock.json pins it, into build/hub-proxy/.
# Idempotent: does nothing when that lock is already installed. Needs node and npm
# (tools/ensure_system_packages.sh hub). Prints the proxy's path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$(realpath -m "${1:-$here/../../build/hub-proxy}")"
proxy="$dest/node_modules/.bin/configurable-http-proxy"

if [ -x "$proxy" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  echo "$proxy"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "$tool is missing: run 'bash tools/ensure_system_packages.sh hub'" >&2
    exit 1
  }
done
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >&2
echo "$proxy"
