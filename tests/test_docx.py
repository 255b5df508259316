"""The docx format, read back independently: raw OOXML parts with lxml, and pandoc.

Expected values come from the sources themselves (the TEI files and the JSON-LD annotation
files), never from the project's own code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import FRUS, SAMPLE, run_cli

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEI = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
BLOCKS = {"p", "head", "quote", "item", "l", "dateline", "salute", "signed", "closer", "label", "ab",
          "byline", "postscript", "trailer", "row"}


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def collapse(text: str) -> str:
    return " ".join(text.split())


# -- reading the package --------------------------------------------------------------------
def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def xml(path: Path, name: str) -> etree._Element:
    return etree.fromstring(parts(path)[name])


def run_style(r: etree._Element) -> str | None:
    el = r.find(f"{w('rPr')}/{w('rStyle')}")
    return el.get(w("val")) if el is not None else None


def is_page_marker(t: etree._Element) -> bool:
    r = t.getparent()
    return r is not None and r.tag == w("r") and run_style(r) == "SourcePage"


def comment_ranges(document: etree._Element) -> dict[str, str]:
    """Text between each commentRangeStart/End (page markers excluded; "\\n" = paragraph end)."""
    done: dict[str, str] = {}
    open_: dict[str, list[str]] = {}
    for event, el in etree.iterwalk(document, events=("start", "end")):
        if event == "start":
            if el.tag == w("commentRangeStart"):
                open_[el.get(w("id"))] = []
            elif el.tag == w("commentRangeEnd"):
                done[el.get(w("id"))] = "".join(open_.pop(el.get(w("id"))))
            elif el.tag == w("t") and not is_page_marker(el):
                for buf in open_.values():
                    buf.append(el.text or "")
            elif el.tag in (w("br"), w("tab")):
                for buf in open_.values():
                    buf.append("\n" if el.tag == w("br") else "\t")
        elif el.tag == w("p"):
            for buf in open_.values():
                buf.append("\n")
    assert not open_, f"comment ranges never closed: {sorted(open_)}"
    return done


def footnote_refs(document: etree._Element) -> list[tuple[int, str]]:
    """(footnote id, paragraph text before the reference) in document order."""
    out = []
    for p in document.iter(w("p")):
        text: list[str] = []
        for el in p.iter(w("t"), w("footnoteReference")):
            if el.tag == w("t"):
                if not is_page_marker(el):
                    text.append(el.text or "")
            else:
                out.append((int(el.get(w("id"))), "".join(text)))
    return out


def footnotes(path: Path) -> list[tuple[int, str | None, str]]:
    """(id, type, text) of every footnote in word/footnotes.xml, in part order."""
    root = xml(path, "word/footnotes.xml")
    out = []
    for fn in root.findall(w("footnote")):
        text = "".join(t.text or "" for t in fn.iter(w("t")))
        out.append((int(fn.get(w("id"))), fn.get(w("type")), text.strip()))
    return out


def comments(path: Path) -> dict[str, dict]:
    root = xml(path, "word/comments.xml")
    out = {}
    for c in root.findall(w("comment")):
        body, meta = [], []
        for p in c.findall(w("p")):
            style = p.find(f"{w('pPr')}/{w('pStyle')}")
            text = "".join(t.text or "" for t in p.iter(w("t")))
            (meta if style is not None and style.get(w("val")) == "AnnotationMeta" else body).append(text)
        out[c.get(w("id"))] = {"author": c.get(w("author")), "initials": c.get(w("initials")),
                               "date": c.get(w("date")), "body": "\n".join(body), "meta": " ".join(meta)}
    return out


def paragraphs(document: etree._Element) -> list[tuple[str | None, str]]:
    out = []
    for p in document.iter(w("p")):
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        out.append((style.get(w("val")) if style is not None else None,
                    "".join(t.text or "" for t in p.iter(w("t")))))
    return out


# -- expected values from the sources -----------------------------------------------------------
def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


class _Stop(Exception):
    pass


def _text_before(block, target) -> str:
    """Text of ``block`` up to ``target`` (other notes' contents left out)."""
    out: list[str] = []

    def walk(el) -> None:
        if el is target:
            raise _Stop
        if el is not block and _local(el) == "note":
            return
        out.append(el.text or "")
        for child in el:
            walk(child)
            out.append(child.tail or "")

    try:
        walk(block)
    except _Stop:
        pass
    return "".join(out)


def tei_notes(tei: Path, entry_ids: list[str], layers: set[str] | None = None) -> list[tuple[str, str]]:
    """(note text, text before it in its block) for the editorial notes of the entries, in order."""
    root = etree.parse(str(tei)).getroot()
    found = []
    for eid in entry_ids:
        div = root.xpath("//tei:div[@xml:id=$id]", namespaces={"tei": TEI}, id=eid)[0]
        for note in div.iter(f"{{{TEI}}}note"):
            if note.get("type") in ("meta", "source"):
                continue
            if any(_local(a) == "note" for a in note.iterancestors()):
                continue
            layer_div = next((a for a in note.iterancestors(f"{{{TEI}}}div")
                              if a.get("type") in ("translation", "transcription")), None)
            if layers is not None and layer_div is not None and layer_div.get("type") not in layers:
                continue
            block = next((a for a in note.iterancestors() if _local(a) in BLOCKS), note.getparent())
            found.append((collapse("".join(note.itertext())), collapse(_text_before(block, note))))
    return found


def visible_annotations(corpus: Path, user: str, targets: set[tuple[str, str]]) -> list[dict]:
    """Annotations ``user`` may see on (entry, layer) targets, read from the JSON-LD files."""
    archive = json.loads((corpus / "archive.json").read_text())
    groups = {g for g, d in archive["groups"].items() if user in d["members"]}
    found = []
    for path in sorted((corpus / "annotations").glob("*.jsonld")):
        for item in json.loads(path.read_text()):
            entry, layer = item["target"]["source"].rstrip("/").split("/")[-2:]
            if (entry, layer) not in targets:
                continue
            vis = item.get("visibility", "private")
            if not (vis == "public" or item["creator"]["nickname"] == user
                    or (vis == "group" and item.get("group") in groups)):
                continue
            quote = next(s for s in item["target"]["selector"] if s["type"] == "TextQuoteSelector")
            found.append({
                "body": "\n\n".join(b["value"] for b in item["body"] if b.get("purpose") != "tagging"),
                "tags": [b["value"] for b in item["body"] if b.get("purpose") == "tagging"],
                "exact": quote["exact"], "creator": item["creator"]["name"], "visibility": vis,
                "group": item.get("group"),
            })
    return found


# -- checks shared by the exports -----------------------------------------------------------------
def check_package(path: Path) -> None:
    p = parts(path)
    types = etree.fromstring(p["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types}
    assert overrides.get("/word/footnotes.xml") == FOOTNOTES_CT
    rels = etree.fromstring(p["word/_rels/document.xml.rels"])
    assert any(r.get("Type") == FOOTNOTES_REL and r.get("Target") == "footnotes.xml" for r in rels)
    notes = footnotes(path)
    assert notes[0][:2] == (-1, "separator") and notes[1][:2] == (0, "continuationSeparator")
    settings = xml(path, "word/settings.xml")
    assert [int(f.get(w("id"))) for f in settings.iter(w("footnote"))] == [-1, 0]


def check_notes(path: Path, expected: list[tuple[str, str]]) -> None:
    """One footnote per editorial note, in order, each referenced once at its place."""
    notes = [(i, text) for i, kind, text in footnotes(path) if kind is None]
    assert [i for i, _ in notes] == list(range(1, len(expected) + 1))
    assert [collapse(t) for _, t in notes] == [t for t, _ in expected]
    refs = footnote_refs(xml(path, "word/document.xml"))
    assert [i for i, _ in refs] == [i for i, _ in notes]
    for (i, before), (_, tei_before) in zip(refs, expected):
        tail = tei_before.strip()[-25:]
        assert collapse(before).endswith(tail), (i, before[-60:], tail)
    for _, text in notes:
        assert text  # nothing empty


def check_comments(path: Path, expected: list[dict]) -> dict[str, dict]:
    """One comment per included annotation, anchored on exactly its quote."""
    got = comments(path)
    ranges = comment_ranges(xml(path, "word/document.xml"))
    assert set(ranges) == set(got)
    assert len(got) == len(expected)
    remaining = list(expected)
    for cid, c in got.items():
        match = next((a for a in remaining if a["body"] == c["body"] and a["exact"] == ranges[cid]), None)
        assert match is not None, (cid, c["body"][:60], ranges[cid][:80])
        remaining.remove(match)
        assert c["author"] == match["creator"]
        assert c["initials"] == "".join(word[0] for word in match["creator"].split()).upper()
        for tag in match["tags"]:
            assert tag in c["meta"]
        assert f"visibility: {match['visibility']}" in c["meta"]
        if match["visibility"] == "group":
            assert match["group"] in c["meta"]
        assert re.match(r"\d{4}-\d\d-\d\dT", c["date"])
    return got


def export(*args: str, out: Path) -> Path:
    r = run_cli("export", *args, "--format", "docx", "--output", str(out), "--accept-terms", "--json")
    assert r.returncode == 0, r.stderr.decode()
    result = json.loads(r.stdout)
    assert result["media_type"] == MEDIA and result["source_pages"] <= 10
    return out


# -- the sample corpus ---------------------------------------------------------------------------
TRANSLATION_ENTRIES = ["kd1-1918-02-22", "kd1-1918-03-03a", "kd1-1918-03-06", "kd1-1918-03-10"]
BOTH_ENTRIES = ["kd1-1918-03-03a", "kd1-1918-03-06"]
TEI_SAMPLE = SAMPLE / "dolgorukov-diaries-1918.xml"


@pytest.fixture(scope="module")
def translation_docx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "translation.docx"
    return export("--entries", ",".join(TRANSLATION_ENTRIES), "--layer", "translation", "--user", "irina",
                  "--annotations", "visible", out=out)


@pytest.fixture(scope="module")
def both_docx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "both.docx"
    return export("--entries", ",".join(BOTH_ENTRIES), "--layer", "both", "--user", "irina",
                  "--annotations", "visible", out=out)


@pytest.fixture(scope="module")
def frus_docx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "frus.docx"
    return export("--corpus", str(FRUS), "--entries", "d1,d2,d101", out=out)


@pytest.fixture(scope="module")
def frus_notes_docx(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docx") / "frus-notes.docx"
    return export("--corpus", str(FRUS), "--entries", ",".join(FRUS_NOTE_ENTRIES), out=out)


FRUS_NOTE_ENTRIES = ["d15", "d59", "d60"]


def test_sample_translation_notes_and_comments(translation_docx):
    check_package(translation_docx)
    check_notes(translation_docx, tei_notes(TEI_SAMPLE, TRANSLATION_ENTRIES, {"translation"}))
    expected = visible_annotations(SAMPLE, "irina", {(e, "translation") for e in TRANSLATION_ENTRIES})
    got = check_comments(translation_docx, expected)
    # The selection holds a range across a paragraph break, ranges that overlap, and ranges
    # across a note, a page marker and a formatting change; all anchored exactly above.
    ranges = comment_ranges(xml(translation_docx, "word/document.xml"))
    assert any("\n" in text for text in ranges.values())
    assert len(got) >= 10


def test_sample_ranges_cross_markers_and_formatting(translation_docx):
    """The raw XML really has a page marker, a note reference and a formatting change inside ranges."""
    document = xml(translation_docx, "word/document.xml")
    inside: dict[str, set[str]] = {}
    open_: set[str] = set()
    for el in document.iter():
        if el.tag == w("commentRangeStart"):
            open_.add(el.get(w("id")))
        elif el.tag == w("commentRangeEnd"):
            open_.discard(el.get(w("id")))
        elif el.tag == w("r"):
            kinds = set()
            if run_style(el) == "SourcePage":
                kinds.add("page")
            if el.find(w("footnoteReference")) is not None:
                kinds.add("note")
            if el.find(f"{w('rPr')}/{w('i')}") is not None:
                kinds.add("italic")
            for cid in open_:
                inside.setdefault(cid, set()).update(kinds)
    seen = set().union(*inside.values())
    assert {"page", "note", "italic"} <= seen
    # Overlap: some range starts while another is open.
    starts_while_open = False
    open_.clear()
    for el in document.iter(w("commentRangeStart"), w("commentRangeEnd")):
        if el.tag == w("commentRangeStart"):
            starts_while_open |= bool(open_)
            open_.add(el.get(w("id")))
        else:
            open_.discard(el.get(w("id")))
    assert starts_while_open


def test_sample_both_layers(both_docx):
    check_package(both_docx)
    check_notes(both_docx, tei_notes(TEI_SAMPLE, BOTH_ENTRIES))
    targets = {(e, layer) for e in BOTH_ENTRIES for layer in ("translation", "transcription")}
    got = check_comments(both_docx, visible_annotations(SAMPLE, "irina", targets))
    assert any(re.search("[а-яё]", c["body"], re.I) for c in got.values())  # Cyrillic comment intact
    paras = paragraphs(xml(both_docx, "word/document.xml"))
    assert [t for s, t in paras if s == "Heading3"] == ["Translation", "Transcription"] * len(BOTH_ENTRIES)
    assert [t for s, t in paras if s == "Heading2"] == ["3 March 1918 (1)", "6 March 1918"]
    assert len([t for s, t in paras if s == "Heading1"]) == 2  # the volume, then the terms of use
    body = "".join(t for _, t in paras)
    assert "Хлебный паёк для третьей категории" in body
    # check_notes compared every footnote with the TEI text; make sure Cyrillic was among them.
    assert any(re.search("[а-яё]", t, re.I) for _, _, t in footnotes(both_docx))


def test_sample_styles_pages_citation_and_properties(both_docx):
    styles = xml(both_docx, "word/styles.xml")
    names = {s.get(w("styleId")): (s.get(w("type")), s.find(w("name")).get(w("val"))) for s in styles.iter(w("style"))}
    assert names["Title"] == ("paragraph", "Title")
    assert names["Heading1"] == ("paragraph", "heading 1") and names["Heading2"] == ("paragraph", "heading 2")
    assert names["SourcePage"] == ("character", "Source page")
    assert names["FootnoteText"] == ("paragraph", "footnote text")
    assert names["FootnoteReference"] == ("character", "footnote reference")
    assert names["EntryMetadata"][0] == "table"
    document = xml(both_docx, "word/document.xml")
    markers = [("".join(t.text for t in r.iter(w("t")))) for r in document.iter(w("r")) if run_style(r) == "SourcePage"]
    assert markers and all(re.fullmatch(r"\[p\. \d+\] ?", m) for m in markers)
    labels = [m.strip()[4:-1] for m in markers]
    # 3 March (1): translation pp. 20-21, transcription 19-20; 6 March: 24-25 and 23-24.
    assert labels == ["20", "21", "19", "20", "24", "25", "23", "24"]
    tei = etree.parse(str(TEI_SAMPLE)).getroot()
    for eid in BOTH_ENTRIES:
        div = tei.xpath("//tei:div[@xml:id=$id]", namespaces={"tei": TEI}, id=eid)[0]
        for pb in div.iter(f"{{{TEI}}}pb"):
            assert pb.get("n") in labels
    assert len(document.findall(f".//{w('tbl')}")) == 2  # a metadata table per entry
    paras = paragraphs(document)
    cites = [t for s, t in paras if s == "Citation"]
    assert len(cites) == 2 and all(t.startswith("Cite as: ") for t in cites)
    assert "3 March 1918 (1)" in cites[0] and "Dolgorukov" in cites[0]
    assert [s for s, _ in paras][:2] == ["Title", "Subtitle"]
    core = xml(both_docx, "docProps/core.xml")
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
          "dcterms": "http://purl.org/dc/terms/"}
    get = lambda q: core.findtext(q, namespaces=ns)  # noqa: E731
    assert "2 entries" in get("dc:title")
    assert get("dc:creator") == "Konstantin Dolgorukov"
    assert get("dc:subject").startswith("The Diaries and Correspondence of Konstantin A. Dolgorukov")
    assert "Diary entry" in get("cp:keywords") and "rationing" in get("cp:keywords")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", get("dcterms:created"))
    assert get("dc:language") == "en"


def test_frus_exports(frus_docx):
    check_package(frus_docx)
    check_notes(frus_docx, tei_notes(FRUS, ["d1", "d2", "d101"]))
    paras = paragraphs(xml(frus_docx, "word/document.xml"))
    heads = [t for s, t in paras if s == "Heading2"]
    assert len(heads) == 3 and heads[0].startswith("The Secretary of State to the Ambassador in Russia")
    assert not [s for s, _ in paras if s == "Heading3"]  # one layer: no layer headings
    assert "word/comments.xml" not in parts(frus_docx)


def test_frus_heading_notes(frus_notes_docx):
    check_package(frus_notes_docx)
    expected = tei_notes(FRUS, FRUS_NOTE_ENTRIES)
    assert expected  # d15 and d59 have notes in their headings
    check_notes(frus_notes_docx, expected)
    document = xml(frus_notes_docx, "word/document.xml")
    in_heads = [p for p in document.iter(w("p")) if p.find(f"{w('pPr')}/{w('pStyle')}").get(w("val")) == "Heading2"
                and p.find(f".//{w('footnoteReference')}") is not None]
    assert len(in_heads) >= 2


# -- pandoc --------------------------------------------------------------------------------------
def pandoc(path: Path, to: str, reader: str = "docx") -> str:
    r = subprocess.run(["pandoc", "-f", reader, "-t", to, "--track-changes=all", "--wrap=none", str(path)],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode("utf-8")


def pandoc_reading(path: Path) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Footnote texts, comment texts and commented passages as pandoc reads the DOCX."""
    ast = json.loads(pandoc(path, "json", "docx+styles"))
    notes: list[str] = []
    bodies: dict[str, str] = {}
    passages: dict[str, list[str]] = {}
    done: dict[str, str] = {}

    def emit(text: str) -> None:
        for buf in passages.values():
            buf.append(text)

    def text_of(inlines) -> str:
        out: list[str] = []

        def rec(items):
            for i in items:
                t = i["t"]
                if t == "Str":
                    out.append(i["c"])
                elif t in ("Space", "SoftBreak", "LineBreak"):
                    out.append(" ")
                elif t in ("Emph", "Strong", "SmallCaps", "Superscript", "Subscript", "Underline", "Strikeout"):
                    rec(i["c"])
                elif t == "Span":
                    rec(i["c"][1])
        rec(inlines)
        return "".join(out)

    def blocks_text(items) -> str:
        out = []
        for b in items:
            if b["t"] in ("Para", "Plain"):
                out.append(text_of(b["c"]))
            elif b["t"] == "Div":
                out.append(blocks_text(b["c"][1]))
        return " ".join(out)

    def inlines(items) -> None:
        for i in items:
            t = i["t"]
            if t == "Str":
                emit(i["c"])
            elif t in ("Space", "SoftBreak", "LineBreak"):
                emit(" ")
            elif t in ("Emph", "Strong", "SmallCaps", "Superscript", "Subscript", "Underline", "Strikeout"):
                inlines(i["c"])
            elif t == "Note":
                notes.append(collapse(blocks_text(i["c"])))
            elif t == "Span":
                (ident, classes, kv), content = i["c"]
                attrs = dict(kv)
                if "comment-start" in classes:
                    bodies[attrs["id"]] = text_of(content)
                    passages[attrs["id"]] = []
                elif "comment-end" in classes:
                    done[attrs["id"]] = "".join(passages.pop(attrs["id"]))
                elif attrs.get("custom-style") == "Source page":
                    continue
                else:
                    inlines(content)

    def blocks(items) -> None:
        for b in items:
            t = b["t"]
            if t in ("Para", "Plain"):
                inlines(b["c"])
                emit("\n")
            elif t == "Header":
                inlines(b["c"][2])
                emit("\n")
            elif t in ("Div",):
                blocks(b["c"][1])
            elif t == "BlockQuote":
                blocks(b["c"])

    blocks(ast["blocks"])
    return notes, bodies, done


@pytest.mark.parametrize("which", ["translation_docx", "both_docx"])
def test_pandoc_reads_footnotes_and_comments(which, request):
    path = request.getfixturevalue(which)
    entries, layers = (TRANSLATION_ENTRIES, {"translation"}) if which == "translation_docx" else (BOTH_ENTRIES, None)
    expected_notes = tei_notes(TEI_SAMPLE, entries, layers)
    notes, bodies, passages = pandoc_reading(path)
    assert notes == [t for t, _ in expected_notes]
    targets = {(e, layer) for e in entries for layer in (layers or {"translation", "transcription"})}
    expected = visible_annotations(SAMPLE, "irina", targets)
    assert len(passages) == len(bodies) == len(expected)
    remaining = [(collapse(a["exact"]), a["body"]) for a in expected]
    for cid, passage in passages.items():
        match = next((x for x in remaining
                      if x[0] == collapse(passage) and collapse(bodies[cid]).startswith(collapse(x[1]))), None)
        assert match is not None, (cid, passage[:80])
        remaining.remove(match)
    markdown = pandoc(path, "markdown")
    assert markdown.count(".comment-start") == len(expected) == markdown.count(".comment-end")
    assert len(re.findall(r"^\[\^\d+\]:", markdown, re.M)) == len(expected_notes)


def test_pandoc_reads_frus(frus_notes_docx):
    notes, bodies, _ = pandoc_reading(frus_notes_docx)
    assert notes == [t for t, _ in tei_notes(FRUS, FRUS_NOTE_ENTRIES)]
    assert not bodies


# -- the engine's policy applies -----------------------------------------------------------------
def test_docx_refuses_eleven_pages(tmp_path):
    out = tmp_path / "big.docx"
    r = run_cli("export", "--range", "kd1-1918-03-03a..kd1-1918-03-14", "--layer", "translation",
                "--format", "docx", "--output", str(out), "--accept-terms")
    assert r.returncode not in (0, 2)
    assert "11" in r.stderr.decode() and "10" in r.stderr.decode()
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_docx_needs_terms(tmp_path):
    out = tmp_path / "t.docx"
    r = run_cli("export", "--entries", "kd1-1918-03-03a", "--format", "docx", "--output", str(out))
    assert r.returncode not in (0, 2)
    assert "terms" in r.stderr.decode().lower()
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_formats_lists_docx():
    r = run_cli("formats", "--json")
    assert r.returncode == 0
    fmt = next(f for f in json.loads(r.stdout) if f["name"] == "docx")
    assert fmt["media_type"] == MEDIA and fmt["extension"] == "docx" and fmt["print_limited"] is True


def test_hostile_annotation_body_is_text(tmp_path):
    corpus = tmp_path / "c"
    shutil.copytree(SAMPLE, corpus)
    path = corpus / "annotations" / "irina.jsonld"
    anns = json.loads(path.read_text())
    hostile = '</w:t></w:r><w:r><w:t>injected</w:t></w:r> & <![CDATA[x]]> &amp;'
    anns[0]["body"][0]["value"] = hostile
    path.write_text(json.dumps(anns))
    out = export("--corpus", str(corpus), "--entries", "kd1-1918-03-03a", "--user", "irina", out=tmp_path / "h.docx")
    got = comments(out)
    assert hostile in [c["body"] for c in got.values()]
    assert b"<w:t>injected</w:t>" not in parts(out)["word/comments.xml"]
