"""docx: characters XML forbids, combining marks, and annotation ranges in awkward places."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from test_docx import comment_ranges, comments, export, footnote_refs, footnotes, parts, w, xml

TEI_VOLUME = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="tv" xml:lang="en">
 <teiHeader><fileDesc>
  <titleStmt><title>Test volume</title></titleStmt>
  <publicationStmt><publisher>Test</publisher><idno type="URI">https://archive.example.org/tv</idno></publicationStmt>
  <sourceDesc><p>Written for a test.</p></sourceDesc>
 </fileDesc></teiHeader>
 <text><body>
  <div type="entry" xml:id="tv-1">
   <head>First day</head>
   <docDate when="1918-01-01">1 January 1918</docDate>
   <div type="translation" xml:lang="en">
    <pb n="1"/>
    <p>We met at the <hi rend="italic">Cafe\u0301 Ве\u0301ра</hi> today.<note n="1">A note with e\u0301 and И\u0306 (combining).</note> More text follows here.</p>
   </div>
  </div>
 </body></text>
</TEI>
"""

BAD_BODY = "Bad\u000bchars\u0000here\ud800 and a\u0301 combining"


def _annotation(body: str, exact: str, prefix: str, suffix: str) -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld", "id": "https://archive.example.org/tv/ann/1",
        "type": "Annotation", "motivation": "commenting", "visibility": "public",
        "creator": {"id": "https://archive.example.org/users/x", "nickname": "x", "name": "Zoe\u0000 Ada Test"},
        "created": "2026-01-01T10:00:00Z",
        "body": [{"type": "TextualBody", "purpose": "commenting", "value": body, "format": "text/plain"},
                 {"type": "TextualBody", "purpose": "tagging", "value": "tag\u000bone"}],
        "target": {"source": "https://archive.example.org/tv/tv-1/translation",
                   "selector": [{"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}]},
    }


def test_illegal_characters_and_combining_marks(tmp_path: Path):
    corpus = tmp_path / "c"
    (corpus / "annotations").mkdir(parents=True)
    (corpus / "tv.xml").write_text(TEI_VOLUME, encoding="utf-8")
    exact = "the Cafe\u0301 Ве\u0301ра today. More"  # crosses the italic run and the note
    ann = _annotation(BAD_BODY, exact, "We met at ", " text follows")
    # ensure_ascii writes the lone surrogate and the controls as JSON escapes.
    (corpus / "annotations" / "a.jsonld").write_text(json.dumps([ann], ensure_ascii=True), encoding="ascii")
    assert "\\ud800" in (corpus / "annotations" / "a.jsonld").read_text()
    out = export("--corpus", str(corpus), "--entries", "tv-1", out=tmp_path / "t.docx")

    for name, data in parts(out).items():
        if name.endswith(".xml"):
            etree.fromstring(data)  # every part is well-formed XML
            text = data.decode("utf-8")
            assert "\x0b" not in text and "\x00" not in text
    got = list(comments(out).values())
    assert len(got) == 1
    body = got[0]["body"]
    assert body == "Bad\ufffdchars\ufffdhere\ufffd and a\u0301 combining"
    assert unicodedata.normalize("NFC", body) != body  # combining mark kept as written
    assert got[0]["author"] == "Zoe\ufffd Ada Test" and got[0]["initials"] == "ZAT"
    assert "tag\ufffdone" in got[0]["meta"]
    assert list(comment_ranges(xml(out, "word/document.xml")).values()) == [exact]
    notes = [(i, t) for i, kind, t in footnotes(out) if kind is None]
    assert notes == [(1, "A note with e\u0301 and И\u0306 (combining).")]
    refs = footnote_refs(xml(out, "word/document.xml"))
    assert refs[0][0] == 1 and refs[0][1].endswith("Cafe\u0301 Ве\u0301ра today.")


def _document(blocks, annotations):
    from exporter.model import Document, Entry, Layer, Selection, Text, Volume

    vol = Volume(id="v", title="Volume", languages=["en"], terms="Terms.")
    entry = Entry(id="e1", local_id="e1", volume=vol, title="Entry", heading=[Text("Entry")],
                  layers={"text": Layer("text", "en", blocks, ["1", "2"], start_page="1")},
                  annotations=annotations)
    return Document(entries=[entry], volumes=[vol], selection=Selection("entries", "e1"), user=None,
                    user_name=None, exported_at=datetime(2026, 1, 1, tzinfo=UTC))


def _render(doc) -> io.BytesIO:
    from exporter.formats.docx import render

    buf = io.BytesIO()
    render(doc, buf)
    return buf


def test_nested_overlapping_and_cross_paragraph_ranges(tmp_path: Path):
    """Ranges that start together, nest, overlap, cross a page break, a note and a paragraph."""
    from exporter.model import Annotation, AnnotationEnd, AnnotationStart, Block, Note, NoteRef, PageBreak, Text

    a = Annotation("a", "e1", "text", "", "", "", "outer", creator="u", creator_name="Ann Outer", number=1,
                   visibility="public")
    b = Annotation("b", "e1", "text", "", "", "", "inner", creator="v", creator_name="Bo", number=2,
                   visibility="group", group="seminar", tags=["t1", "t2"])
    c = Annotation("c", "e1", "text", "", "", "", "overlap", creator="w", creator_name="Cy Dee", number=3,
                   visibility="private")
    note = Note("n1", "1", [Text("Note "), Text("text", frozenset({"italic"}))])
    blocks = [
        Block("paragraph", [Text("Before "), AnnotationStart(a), AnnotationStart(b), Text("shared"),
                            AnnotationEnd(b), Text(" middle", frozenset({"bold"})), NoteRef(note),
                            AnnotationStart(c), Text(" across"), PageBreak("2"), Text(" page")]),
        Block("paragraph", [Text("next para"), AnnotationEnd(a), Text(" tail"), AnnotationEnd(c), Text(" end.")]),
    ]
    out = tmp_path / "m.docx"
    out.write_bytes(_render(_document(blocks, [a, b, c])).getvalue())
    got = comments(out)
    ranges = comment_ranges(xml(out, "word/document.xml"))
    by_body = {got[cid]["body"]: ranges[cid] for cid in got}
    assert by_body == {
        "outer": "shared middle across page\nnext para",
        "inner": "shared",
        "overlap": " across page\nnext para tail",
    }
    meta = {got[cid]["body"]: got[cid]["meta"] for cid in got}
    assert meta["inner"] == "A2 · tags: t1, t2 · visibility: group seminar"
    assert meta["overlap"].endswith("visibility: private")
    assert [t for i, kind, t in footnotes(out) if kind is None] == ["Note text"]


def test_hand_built_illegal_text_cannot_break_the_package(tmp_path: Path):
    """Defence in depth: text that skipped the loader's normalisation is still written safely."""
    from exporter.model import Block, Note, NoteRef, Text

    note = Note("n1", "1", [Text("bad\x0bnote\x00")])
    blocks = [Block("paragraph", [Text("x\x0by\ud800z <b>&"), NoteRef(note)])]
    out = tmp_path / "bad.docx"
    out.write_bytes(_render(_document(blocks, [])).getvalue())
    document = xml(out, "word/document.xml")
    text = "".join(t.text or "" for t in document.iter(w("t")))
    assert "x\ufffdy\ufffdz <b>&" in text
    assert [t for i, kind, t in footnotes(out) if kind is None] == ["bad\ufffdnote\ufffd"]


def test_formatted_citation_and_paper(tmp_path: Path):
    """A CSL citation's HTML becomes formatted runs (never markup); --paper sets the page size."""
    from exporter.model import Block, Citation, Text

    doc = _document([Block("paragraph", [Text("Body.")])], [])
    doc.entries[0].citation = Citation(
        note="Plain", bibliography="Plain",
        note_html='<i>Title</i>, &amp; <span style="font-variant: small-caps">Name</span> <w:p>x</w:p>')
    doc.options["paper"] = "letter"
    out = tmp_path / "c.docx"
    out.write_bytes(_render(doc).getvalue())
    document = xml(out, "word/document.xml")
    cite = next(p for p in document.iter(w("p"))
                if p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Citation")
    runs = [("".join(t.text for t in r.iter(w("t"))), {c.tag.split("}")[1] for c in r.iterfind(f"{w('rPr')}/*")})
            for r in cite.iter(w("r"))]
    assert runs[0] == ("Cite as: ", {"rStyle"})
    assert ("Title", {"i", "iCs"}) in runs and ("Name", {"smallCaps"}) in runs
    assert "".join(t for t, _ in runs) == "Cite as: Title, & Name x"
    size = document.find(f".//{w('sectPr')}/{w('pgSz')}")
    assert (size.get(w("w")), size.get(w("h"))) == ("12240", "15840")
