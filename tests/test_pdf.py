"""The ``pdf`` format end to end, checked with independent readers (pypdf, poppler's pdftotext).

Each selection is rendered once per module; the tests read the files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FRUS, SAMPLE, run_cli

pypdf = pytest.importorskip("pypdf")

PDFTOTEXT = shutil.which("pdftotext")

#: Ten source pages of March entries (translation pages 20-29), with Irina's visible annotations.
MARCH = ["--range", "kd1-1918-03-03a..kd1-1918-03-14", "--pages", "20-29", "--layer", "translation",
         "--user", "irina", "--annotations", "visible"]
#: Six FRUS documents (pages 79-84), four of them with footnotes (d99, d101, d103, d104).
FRUS_SEL = ["--range", "d99..d104"]


def norm(text: str) -> str:
    return " ".join(text.split())


def page_texts(path: Path) -> list[str]:
    """Whitespace-normalised text of each page, as pdftotext (poppler) reads it."""
    assert PDFTOTEXT, "pdftotext (poppler-utils) is required: run scripts/setup.sh"
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    pages = out.decode("utf-8").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [norm(p) for p in pages]


def outline(reader) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every bookmark."""
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def pdf_annotations(reader) -> list[tuple[int, dict]]:
    found = []
    for number, page in enumerate(reader.pages, 1):
        for ref in page.get("/Annots") or []:
            found.append((number, ref.get_object()))
    return found


def export_cli(tmp: Path, name: str, *args: str, corpus: Path = SAMPLE) -> tuple[Path, dict]:
    out = tmp / name
    proc = run_cli("export", "--corpus", str(corpus), *args, "--format", "pdf", "--output", str(out),
                   "--accept-terms", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    return out, json.loads(proc.stdout)


def expected(engine, corpus: Path, args: list[str]):
    """The document model for a selection (the *input* the PDF must contain)."""
    from exporter.engine import ExportRequest

    opts = dict(zip(args[::2], args[1::2]))
    req = ExportRequest(format="pdf", range=opts.get("--range"), pages=opts.get("--pages"),
                        layer=opts.get("--layer", "both"), user=opts.get("--user"),
                        annotations=opts.get("--annotations", "visible"), corpus=corpus, accept_terms=True)
    return engine.assemble(req)


@pytest.fixture(scope="module")
def march(tmp_path_factory, engine):
    tmp = tmp_path_factory.mktemp("pdf-march")
    path, result = export_cli(tmp, "march.pdf", *MARCH)
    return path, result, expected(engine, SAMPLE, MARCH)


@pytest.fixture(scope="module")
def frus_pdf(tmp_path_factory, engine):
    tmp = tmp_path_factory.mktemp("pdf-frus")
    path, result = export_cli(tmp, "frus.pdf", *FRUS_SEL, corpus=FRUS)
    return path, result, expected(engine, FRUS, FRUS_SEL)


def note_call_snippet(block_inlines, note) -> str:
    """The last few words before a note's call in its block (where to find the call page)."""
    from exporter.model import NoteRef, Text

    before = []
    for item in block_inlines:
        if isinstance(item, NoteRef) and item.note is note:
            break
        if isinstance(item, Text):
            before.append(item.text)
    words = "".join(before).split()
    return " ".join(words[-3:])


def assert_notes_near_calls(doc, pages: list[str]) -> int:
    """Every note's text is on the page that calls it or the next; returns the number checked."""
    from exporter.model import NoteRef

    checked = 0
    for entry in doc.entries:
        blocks = [entry.heading] + [b.inlines for layer in entry.layers.values() for b in layer.blocks]
        for inlines in blocks:
            for item in inlines:
                if not isinstance(item, NoteRef):
                    continue
                note_text = norm(item.note.text)[:60]
                note_pages = [i for i, p in enumerate(pages) if note_text in p]
                assert note_pages, f"note {item.note.id} ({note_text!r}) is not in the PDF"
                snippet = note_call_snippet(inlines, item.note)
                call_pages = [i for i, p in enumerate(pages) if snippet in p] if snippet else note_pages
                assert call_pages, f"text before note {item.note.id} ({snippet!r}) not found"
                assert any(n - c in (0, 1) for n in note_pages for c in call_pages), (
                    f"note {item.note.id} on pages {note_pages}, called on {call_pages}")
                checked += 1
    return checked


# -- the main acceptance selection ---------------------------------------------------------

def test_march_result_reports_rendered_pages(march):
    path, result, doc = march
    reader = pypdf.PdfReader(path)
    assert result["rendered_pages"] == len(reader.pages) >= 2
    assert result["source_pages"] == 10
    assert path.read_bytes().startswith(b"%PDF-1.7")


def test_march_every_note_near_its_call(march):
    path, _result, doc = march
    pages = page_texts(path)
    assert assert_notes_near_calls(doc, pages) == len([n for e in doc.entries for n in e.notes]) >= 5


def test_march_every_annotation_text_printed_and_listed(march):
    path, _result, doc = march
    text = " ".join(page_texts(path))
    assert len(doc.annotations) >= 8
    for a in doc.annotations:
        assert norm(a.body) in text, a.id
        assert f"A{a.number}" in text
        assert (a.creator_name or a.creator) in text
        for tag in a.tags:
            assert tag in text


def test_march_pdf_annotations(march):
    path, _result, doc = march
    reader = pypdf.PdfReader(path)
    annots = pdf_annotations(reader)
    by_contents: dict[str, list] = {}
    for page, a in annots:
        assert a["/Subtype"] in ("/Highlight", "/Text")
        assert int(a["/F"]) & 4, "annotations must print"
        assert "/AP" in a
        by_contents.setdefault(str(a["/Contents"]), []).append((page, a))
    for ann in doc.annotations:
        assert norm(ann.body) in {norm(k) for k in by_contents}, f"no PDF annotation for {ann.id}"
        found = next(v for k, v in by_contents.items() if norm(k) == norm(ann.body))
        page, a = found[0]
        assert str(a["/T"]) == ann.creator_name
        if a["/Subtype"] == "/Highlight":
            quads = [float(q) for q in a["/QuadPoints"]]
            assert len(quads) % 8 == 0 and quads
            box = reader.pages[page - 1].mediabox
            assert all(0 <= x <= float(box.width) for x in quads[0::2])
            assert all(0 <= y <= float(box.height) for y in quads[1::2])
    # the highlight covers the quoted passage: its words are printed inside the first quad
    first = doc.annotations[0]
    page, a = next((p, a) for p, a in annots if norm(str(a["/Contents"])) == norm(first.body))
    q = [float(v) for v in a["/QuadPoints"]][:8]
    left, right, top, bottom = min(q[0::2]), max(q[0::2]), max(q[1::2]), min(q[1::2])
    crop = subprocess.run([PDFTOTEXT, "-f", str(page), "-l", str(page), "-x", str(int(left)),
                           "-y", str(int(float(reader.pages[page - 1].mediabox.height) - top)),
                           "-W", str(int(right - left) + 1), "-H", str(int(top - bottom) + 1),
                           str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert norm(crop) and norm(crop).split()[0].strip(".,;:") in first.exact


def test_march_bookmarks_one_per_entry(march):
    path, _result, doc = march
    marks = outline(pypdf.PdfReader(path))
    entries = [m for m in marks if m[0] == 1]
    volumes = [m for m in marks if m[0] == 0]
    assert [v[1] for v in volumes] == [doc.volumes[0].title]
    assert len(entries) == len(doc.entries) == 5
    assert len({m[1] for m in entries}) == len(entries), "bookmarks must be distinct"
    assert entries[0][1] == "3 March 1918 (1)" and entries[1][1] == "3 March 1918 (2)"
    assert [m[2] for m in entries] == sorted(m[2] for m in entries)


def test_march_metadata(march):
    path, _result, doc = march
    reader = pypdf.PdfReader(path)
    meta = reader.metadata
    assert meta.title == doc.title
    assert meta.author == "Konstantin Dolgorukov"
    assert "kd1-1918-03-03a..kd1-1918-03-14" in meta.subject and "Irina Sokolova" in meta.subject
    assert "brest-litovsk" in meta["/Keywords"] and "kd1-1918-03-06" in meta["/Keywords"]
    assert meta.creation_date is not None
    assert abs((meta.creation_date - doc.exported_at).total_seconds()) < 600
    assert str(reader.trailer["/Root"]["/Lang"]) == "en"


def test_march_header_footer_and_page_markers(march):
    path, _result, doc = march
    pages = page_texts(path)
    n = len(pages)
    for i, text in enumerate(pages, 1):
        assert f"Page {i} of {n}" in text
        assert "Exported from The Diaries and Correspondence" in text
        assert "for Irina Sokolova" in text and "subject to the archive's terms of use" in text
    assert any("3 March 1918 (2)" in p for p in pages[1:])
    joined = " ".join(pages)
    for label in range(20, 30):
        assert f"[p. {label}]" in joined
    assert "[p. 30]" not in joined


def test_march_title_block_and_citation(march):
    path, _result, doc = march
    first = page_texts(path)[0]
    assert "Selection: entries kd1-1918-03-03a..kd1-1918-03-14" in first
    assert "Exported by Irina Sokolova" in first
    assert "Cite as:" in first and "GARF" in first
    assert "Archival id" in first and "Source pages" in first


# -- FRUS ------------------------------------------------------------------------------------

def test_frus_selection_with_footnotes(frus_pdf):
    path, result, doc = frus_pdf
    pages = page_texts(path)
    assert result["rendered_pages"] == len(pages)
    assert not [w for w in result["warnings"] if "endnotes" in w]
    assert assert_notes_near_calls(doc, pages) >= 4
    marks = [m for m in outline(pypdf.PdfReader(path)) if m[0] == 1]
    assert [m[1].split(":")[0] for m in marks] == [f"No. {n}, {d}" for n, d in zip(range(99, 105), (
        "1918-10-24", "1918-10-25", "1918-10-25", "1918-10-26", "1918-10-26", "1918-10-29"))]
    assert "No. 101, 1918-10-25: The Ambassador in Russia (Francis)" in marks[2][1]
    assert "File No. 861.51/378" in pages[0]


# -- refusals (nothing rendered, nothing written) ------------------------------------------

def test_eleven_pages_refused_before_rendering(tmp_path):
    out = tmp_path / "big.pdf"
    proc = run_cli("export", "--range", "kd1-1918-03-03a..kd1-1918-03-14", "--layer", "translation",
                   "--format", "pdf", "--output", str(out), "--accept-terms")
    assert proc.returncode == 5
    assert b"11 source pages" in proc.stderr and b"limit is 10" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_terms_not_accepted_refused(tmp_path):
    out = tmp_path / "t.pdf"
    proc = run_cli("export", "--entries", "kd1-1918-03-06", "--format", "pdf", "--output", str(out))
    assert proc.returncode == 5
    assert b"terms" in proc.stderr.lower()
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_timeout_stops_render_and_writes_nothing(tmp_path):
    out = tmp_path / "slow.pdf"
    proc = run_cli("export", "--entries", "kd1-1918-03-06", "--format", "pdf", "--output", str(out),
                   "--accept-terms", "--timeout", "0.05")
    assert proc.returncode == 7, proc.stderr
    assert b"did not finish within 0.05 s" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_fonts_are_embedded_dejavu_serif(march, tmp_path):
    path, _result, _doc = march
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert any(r[0].endswith("+DejaVu-Serif") for r in rows)
    assert all("yes" == r[-5] for r in rows), out  # every font embedded


def test_cyrillic_transcription_printed(engine, tmp_path):
    from exporter.engine import ExportRequest

    out = tmp_path / "ru.pdf"
    engine.export(ExportRequest(format="pdf", entries="kd1-1918-03-06", layer="both", annotations="none",
                                accept_terms=True), out)
    text = " ".join(page_texts(out))
    assert "TRANSLATION" in text and "TRANSCRIPTION" in text
    assert "Хлебный паёк для третьей категории" in text
