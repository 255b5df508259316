#!/bin/sh
# Regenerate tests/golden/citations/locales/ with citeproc-js (needs node + npm; the tests do not).
# Arguments CORPUS--STYLE--LOCALE (e.g. mixed--apa--ru-RU) choose the goldens; without them, the
# combinations listed in dump_locale_inputs.py (COMBINATIONS: every style in every locale).
# Minutes per combination.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
inputs=$(mktemp)
trap 'rm -f "$inputs"' EXIT
(cd "$here" && npm ci --no-audit --no-fund >/dev/null)
"$root/.venv/bin/python" "$here/dump_locale_inputs.py" "$inputs"
if [ $# -eq 0 ]; then
  set -- $("$root/.venv/bin/python" -c "import sys; sys.path.insert(0, '$here'); from dump_locale_inputs import COMBINATIONS; print(' '.join('--'.join(c) for c in COMBINATIONS))")
fi
node "$here/make_locale_goldens.js" "$inputs" "$root/tests/golden/citations/locales" "$@"
