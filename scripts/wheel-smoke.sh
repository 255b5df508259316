#!/usr/bin/env bash
# Build the project and the bundled plugin as users get them, install them into a fresh virtual
# environment and run the flagship features from there, with no checkout on sys.path.
#
#   bash scripts/wheel-smoke.sh            # build (sdist, then the wheel from the sdist) and check
#   WORK=DIR bash scripts/wheel-smoke.sh   # keep the build and the venv in DIR (default: a temp dir)
#
# Needs the project's .venv (scripts/setup.sh) for `python -m build`; the scratch venv gets its
# dependencies through pip like any user's (the local pip cache makes that quick).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
own_work=0
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  own_work=1
fi
cleanup() { if [ "$own_work" = 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
mkdir -p "$WORK/dist" "$WORK/run"

step() { echo "wheel-smoke: $*" >&2; }
fail() { echo "wheel-smoke: FAILED: $*" >&2; exit 1; }

step "building sdist and wheel of archive-exporter and exporter-epub"
"$PY" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "build of archive-exporter"; }
"$PY" -m build --outdir "$WORK/dist" "$ROOT/plugins/exporter-epub" >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; fail "build of exporter-epub"; }
shopt -s nullglob
wheels=("$WORK"/dist/*.whl)
sdists=("$WORK"/dist/*.tar.gz)
[ ${#wheels[@]} = 2 ] && [ ${#sdists[@]} = 2 ] || fail "expected 2 wheels and 2 sdists, got: $(ls "$WORK/dist")"

step "installing the wheels into a fresh venv"
rm -rf "$WORK/venv"
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
EXPORTER="$WORK/venv/bin/exporter"
"$VPY" -m pip install -q "${wheels[@]}" >"$WORK/pip.log" 2>&1 || { tail -30 "$WORK/pip.log" >&2; fail "pip install"; }

# From here on: an empty working folder, no PYTHONPATH, nothing of the checkout importable.
cd "$WORK/run"
unset PYTHONPATH
export PYTHONNOUSERSITE=1
where=$("$VPY" -c 'import exporter, exporter_epub; print(exporter.__file__); print(exporter_epub.__file__)')
case "$where" in
  *"$ROOT"*) fail "the installed package resolves into the checkout: $where" ;;
esac
"$VPY" -c "import sys; assert not any(p.startswith('$ROOT') for p in sys.path if p), sys.path"

step "exporter toc (the bundled sample)"
toc=$("$EXPORTER" toc)
[ "$(printf '%s\n' "$toc" | wc -l)" -eq 46 ] || fail "toc did not list the 46 sample entries"
printf '%s\n' "$toc" | grep -q '^kd1-1918-03-06 ' || fail "toc lacks kd1-1918-03-06"

step "exporter styles lists the house style"
# Output is captured first, and grep reads all of it (no -q): a reader that stops at the first
# match closes the pipe under the writer, which pipefail would report as a failed check.
styles=$("$EXPORTER" styles)
printf '%s\n' "$styles" | grep '^archival-documents ' >/dev/null || fail "archival-documents missing from exporter styles"

step "exporter cite --style archival-documents"
cite=$("$EXPORTER" cite --entries kd1-1918-03-06 --style archival-documents)
[ -n "$cite" ] || fail "cite printed nothing"
printf '%s\n' "$cite" | grep -q 'Dolgorukov' || fail "cite output lacks the author: $cite"

step "exporter styles --search and the bibliography format (the style index)"
found=$("$EXPORTER" styles --search "historical journal")
printf '%s\n' "$found" | grep '^the-historical-journal ' >/dev/null || fail "style search lacks the-historical-journal"
"$EXPORTER" export --all --format bibliography --style gost-r-7-0-5-2008 --output bib.txt >/dev/null
[ "$(wc -l < bib.txt)" -eq 46 ] || fail "the bibliography has not one line per sample entry"

SEL=(--range kd1-1918-03-03a..kd1-1918-03-06 --layer translation --user irina --accept-terms)
step "pdf"
"$EXPORTER" export "${SEL[@]}" --format pdf --output out.pdf >/dev/null
head -c 5 out.pdf | grep -q '%PDF-' || fail "out.pdf is not a PDF"
"$VPY" - <<'EOF' || fail "out.pdf"
data = open("out.pdf", "rb").read()
assert data.rstrip().endswith(b"%%EOF"), "PDF not complete"
EOF
if command -v pdftotext >/dev/null; then
  pdftotext out.pdf out.txt
  grep -q '3 March 1918' out.txt || fail "the PDF's text lacks the entry title"
  grep -q 'Dolgorukov' out.txt || fail "the PDF's text lacks the citation"
fi

step "html"
"$EXPORTER" export "${SEL[@]}" --format html --output out.html >/dev/null
grep -q '<style' out.html || fail "html export has no stylesheet"
grep -q '3 March 1918' out.html || fail "html export lacks the entry"

step "docx"
"$EXPORTER" export "${SEL[@]}" --format docx --output out.docx >/dev/null
"$VPY" - <<'EOF' || fail "out.docx"
import zipfile
with zipfile.ZipFile("out.docx") as z:
    doc = z.read("word/document.xml").decode()
    assert "3 March 1918" in doc and "word/footnotes.xml" in z.namelist()
EOF

step "epub (the plugin's own wheel)"
plugins=$("$EXPORTER" plugins)
printf '%s\n' "$plugins" | grep 'epub' >/dev/null || fail "the epub plugin is not loaded"
"$EXPORTER" export "${SEL[@]}" --format epub --output out.epub >/dev/null
"$VPY" - <<'EOF' || fail "out.epub"
import zipfile
with zipfile.ZipFile("out.epub") as z:
    assert z.infolist()[0].filename == "mimetype" and z.read("mimetype") == b"application/epub+zip"
EOF

step "check_format on the installed epub plugin"
"$VPY" - <<'EOF' || fail "check_format('epub')"
import tempfile
from exporter.testing import check_format
with tempfile.TemporaryDirectory() as tmp:
    checked = check_format("epub", tmp)
    assert checked.checks == ["registration", "export", "media type", "terms", "print limit"], checked.checks
    print("check_format epub:", ", ".join(checked.checks))
EOF

step "exporter serve answers the reader's page"
port=$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EXPORTER_STATE="$WORK/state" "$EXPORTER" serve --port "$port" --workers 1 >"$WORK/serve.log" 2>&1 &
serve_pid=$!
stop_serve() { kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true; }
trap 'stop_serve; cleanup' EXIT
"$VPY" - "$port" <<'EOF' || { tail -20 "$WORK/serve.log" >&2; fail "the reader's page from the installed wheel"; }
import sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.status, r.headers, r.read().decode("utf-8")
end = time.monotonic() + 120
while True:
    try:
        get("/healthz")
        break
    except OSError:
        if time.monotonic() > end:
            raise SystemExit("exporter serve did not start")
        time.sleep(0.3)
status, headers, toc = get("/")
assert status == 200 and "3 March (1)" in toc and "3 March (2)" in toc, "the table of contents"
assert "script-src 'self'" in (headers.get("Content-Security-Policy") or ""), dict(headers)
status, _h, page = get("/entries/kd1-1918-03-06?layer=transcription")
assert status == 200 and "Page 23" in page and "Document Details" in page, "the entry page"
for asset in ("reader.js", "reader.css"):
    status, _h, body = get(f"/reader/static/{asset}")
    assert status == 200 and len(body) > 500, asset
print("reader's page: /, an entry page and its assets served from the wheel")
EOF
stop_serve

step "ok: toc, styles, cite, pdf, html, docx, epub, check_format and the reader's page from the wheels"
