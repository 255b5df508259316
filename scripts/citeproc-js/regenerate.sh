#!/bin/sh
# Regenerate tests/golden/citations/ with citeproc-js (needs node + npm; the tests do not).
# Optional arguments CORPUS--STYLE (e.g. frus--apa) restrict the run. The whole run takes about
# 35 min on 2 cores, nearly all of it citeproc-js on the FRUS notes in chicago-notes-bibliography.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
inputs=$(mktemp)
trap 'rm -f "$inputs"' EXIT
(cd "$here" && npm ci --no-audit --no-fund >/dev/null)
"$root/.venv/bin/python" "$here/dump_inputs.py" "$inputs"
node "$here/make_goldens.js" "$inputs" "$root/tests/golden/citations" "$@"
