"""PDF annotations from laid-out boxes: Highlight over a passage, Text note when only the marker is
laid out (read back with pypdf)."""

from __future__ import annotations

import io
import re
import subprocess

import pytest

pypdf = pytest.importorskip("pypdf")


def annotation(number: int, body: str):
    from exporter.model import Annotation

    return Annotation(id=f"urn:test:a{number}", entry_id="e", layer="text", exact="x", prefix="", suffix="",
                      body=body, creator="ann", creator_name="Ann Reader", created="2026-02-03T04:05:06Z",
                      visibility="public", tags=["t1", "t2"], number=number)


@pytest.fixture(scope="module")
def annotated():
    from weasyprint import HTML

    from exporter.formats.pdf.annots import annotation_finisher, find_placements

    html = ('<p>Before <sup id="ann-mark-1">A1</sup><mark class="ann" data-ann="1">the highlighted '
            'passage</mark> after. <sup id="ann-mark-2">A2</sup>Empty range here.</p>')
    doc = HTML(string=html).render()
    placements = find_placements(doc.pages)
    warnings: list[str] = []
    pdf = doc.write_pdf(finisher=annotation_finisher(
        doc.pages, [annotation(1, "On the passage"), annotation(2, "At the marker"), annotation(3, "Nowhere")],
        placements, warnings))
    return pypdf.PdfReader(io.BytesIO(pdf)), warnings, pdf


def test_highlight_covers_the_passage(annotated):
    reader, _warnings, pdf = annotated
    annots = {str(a.get_object()["/Contents"]): a.get_object() for a in reader.pages[0]["/Annots"]}
    hl = annots["On the passage"]
    assert hl["/Subtype"] == "/Highlight"
    assert str(hl["/T"]) == "Ann Reader"
    assert "A1" in str(hl["/Subj"]) and "t1, t2" in str(hl["/Subj"])
    assert str(hl["/CreationDate"]) == "D:20260203040506Z"
    assert str(hl["/NM"]) == "urn:test:a1"
    q = [float(v) for v in hl["/QuadPoints"]]
    height = float(reader.pages[0].mediabox.height)
    left, right, top, bottom = min(q[0::2]), max(q[0::2]), height - max(q[1::2]), height - min(q[1::2])
    # words (poppler's boxes, top-left origin) whose centre lies in the quad: exactly the passage
    words = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True,
                           check=True).stdout.decode()
    inside = []
    for x1, y1, x2, y2, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', words):
        cx, cy = (float(x1) + float(x2)) / 2, (float(y1) + float(y2)) / 2
        if left <= cx <= right and top <= cy <= bottom:
            inside.append(word)
    assert inside == ["the", "highlighted", "passage"]


def test_text_note_at_marker_when_no_passage(annotated):
    reader, _warnings, _pdf = annotated
    annots = {str(a.get_object()["/Contents"]): a.get_object() for a in reader.pages[0]["/Annots"]}
    note = annots["At the marker"]
    assert note["/Subtype"] == "/Text"
    assert int(note["/F"]) == 4 and "/AP" in note
    x1, y1, x2, y2 = (float(v) for v in note["/Rect"])
    box = reader.pages[0].mediabox
    assert 0 < x1 < x2 < float(box.width) and 0 < y1 < y2 < float(box.height)


def test_unplaceable_annotation_is_a_warning_not_silence(annotated):
    reader, warnings, _pdf = annotated
    contents = [str(a.get_object()["/Contents"]) for a in reader.pages[0]["/Annots"]]
    assert "Nowhere" not in contents
    assert any("A3" in w and "urn:test:a3" in w for w in warnings)
