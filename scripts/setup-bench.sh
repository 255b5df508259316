#!/usr/bin/env bash
# Set up what the benchmarks compare against, on top of scripts/setup.sh: Debian's chromium
# (the kept-alive headless browser of bench/bench_service.py), node (citeproc-js, already used by
# the citation benchmark) and the bench extra (a WebSocket client for the DevTools protocol).
# Safe to run again: it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

APT_PACKAGES=(chromium nodejs)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-bench: installing system packages: ${missing[*]}" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-bench: missing system packages (install them as root): ${missing[*]}" >&2
    exit 1
  fi
fi
.venv/bin/python -c "import websocket" 2>/dev/null || .venv/bin/python -m pip install -q -e ".[test,bench]"
# citeproc-js for the citation references (bench_cite.py, bench_service.py)
if [ ! -d scripts/citeproc-js/node_modules/citeproc ]; then
  (cd scripts/citeproc-js && npm ci --silent --no-audit --no-fund)
fi
