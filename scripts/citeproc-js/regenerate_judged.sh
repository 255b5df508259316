#!/bin/sh
# Regenerate the results of the CSL suite fixtures judged against citeproc-js's own output
# (tests/data/csl-suite-judged.json; the reasons are kept, the results replaced) with
# citeproc-js and the pinned locales (citeproc-py's locale files, as for the goldens).
# Needs node + npm (scripts/setup-bench.sh); the tests do not.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
judged="$root/tests/data/csl-suite-judged.json"
suite="$root/../shared/csl-test-suite/humans"
(cd "$here" && npm ci --no-audit --no-fund >/dev/null)
locales=$("$root/.venv/bin/python" -c "import citeproc, pathlib; print(pathlib.Path(citeproc.__file__).parent / 'data' / 'locales')")
names=$("$root/.venv/bin/python" -c "import json, sys; print(' '.join(json.load(open(sys.argv[1]))['fixtures']))" "$judged")
files=""
for name in $names; do files="$files $suite/$name.txt"; done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
node "$here/run_fixture.js" "$locales" $files > "$out"
"$root/.venv/bin/python" - "$judged" "$out" <<'PY'
import json, sys
judged = json.load(open(sys.argv[1], encoding="utf-8"))
runs = json.load(open(sys.argv[2], encoding="utf-8"))
for name, entry in judged["fixtures"].items():
    judged["processor"] = runs[name]["processor"]
    entry["result"] = runs[name]["result"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(judged, f, ensure_ascii=False, indent=2)
    f.write("\n")
PY
