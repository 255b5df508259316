#!/usr/bin/env bash
# Set up everything the project needs on a fresh machine: system packages (Debian, as root),
# a virtual environment in .venv with the project, its test tools and the bundled plugins.
# Safe to run again: it skips what is already in place.
# The benchmarks' references (chromium, node, citeproc-js) are set up by scripts/setup-bench.sh.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

APT_PACKAGES=(pandoc poppler-utils epubcheck fonts-dejavu-core libharfbuzz-subset0 biber texlive-latex-base texlive-bibtex-extra
  redis-server postgresql chromium chromium-driver nodejs)
source scripts/apt-packages.sh
ensure_debian_packages setup warn "${APT_PACKAGES[@]}"

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.exporter-setup
want=$(cat pyproject.toml plugins/*/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  args=(-e ".[test]")
  for plugin in plugins/*/; do
    [ -f "$plugin/pyproject.toml" ] && args+=(-e "$plugin")
  done
  .venv/bin/python -m pip install -q "${args[@]}"
  echo "$want" > "$stamp"
fi
# axe-core for the reader's page accessibility scan, pinned by tests/browser/package-lock.json;
# installed here, never while the tests run.
# Debian's nodejs comes without npm (NodeSource's has it built in, and conflicts with Debian's npm).
command -v npm >/dev/null || ensure_debian_packages setup warn npm
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# Byte-compile the project as a wheel install would: the pdf format's modules are first imported
# while a render runs, when Python writes no byte-code cache.
.venv/bin/python -m compileall -q src plugins >/dev/null
