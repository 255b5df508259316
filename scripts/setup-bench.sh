#!/usr/bin/env bash
# Set up what the benchmarks compare against, on top of scripts/setup.sh: Debian's chromium
# (the kept-alive headless browser of bench/bench_service.py), node (citeproc-js, already used by
# the citation benchmark) and the bench extra (a WebSocket client for the DevTools protocol).
# Safe to run again: it skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

APT_PACKAGES=(chromium nodejs)
source scripts/apt-packages.sh
ensure_debian_packages setup-bench fail "${APT_PACKAGES[@]}"
.venv/bin/python -c "import websocket" 2>/dev/null || .venv/bin/python -m pip install -q -e ".[test,bench]"
# citeproc-js for the citation references (bench_cite.py, bench_service.py)
if [ ! -d scripts/citeproc-js/node_modules/citeproc ]; then
  (cd scripts/citeproc-js && npm ci --silent --no-audit --no-fund)
fi
