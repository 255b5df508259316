"""Annotation exports (issue 7): visibility matrix, W3C MUST assertions, CSV, Markdown, round trip.

Expected sets come from the raw JSON-LD files and archive.json, read here without project code;
outputs are read with json, csv, jsonschema (the W3C test-suite assertions) and pandoc.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE
from support.annotation_exports import (
    allowed,
    bodies_of,
    creator_of,
    html_text,
    markdown_html,
    must_failures,
    neutralised,
    raw_annotations,
    read_csv,
    squash,
)

ARCHIVE = json.loads((SAMPLE / "archive.json").read_text(encoding="utf-8"))
USERS = sorted(ARCHIVE["users"])
RAW = raw_annotations(SAMPLE)
MATRIX = [("visible", u) for u in [None, *USERS]] + [("mine", u) for u in USERS]


def export(engine, fmt: str, out: Path, corpus=None, **kw) -> tuple[bytes, object]:
    from exporter.engine import ExportRequest

    kw.setdefault("all", True)
    result = engine.export(ExportRequest(format=fmt, corpus=corpus, **kw), out)
    return out.read_bytes(), result


def unanchored(result) -> set[str]:
    return {w.split()[1] for w in result.warnings if w.startswith("annotation ") and "not included" in w}


def items(collection: dict) -> list[dict]:
    return collection["first"]["items"] if collection["total"] else []


def test_sample_has_what_the_matrix_needs():
    vis = {a.get("visibility") for a in RAW.values()}
    assert vis == {"private", "group", "public"}
    assert len(ARCHIVE["groups"]) >= 2 and len(USERS) >= 3 and len(RAW) >= 50


@pytest.mark.parametrize("mode,user", MATRIX, ids=[f"{m}-{u or 'anonymous'}" for m, u in MATRIX])
def test_exported_sets_follow_the_rules(engine, tmp_path, mode, user):
    expected = allowed(RAW, ARCHIVE, mode, user)
    data, result = export(engine, "annotations-jsonld", tmp_path / "a.jsonld", annotations=mode, user=user)
    lost = unanchored(result)
    assert lost <= expected, "warnings name annotations the user may not see"
    expected -= lost
    coll = json.loads(data)
    got = [a["id"] for a in items(coll)]
    assert len(got) == len(set(got)) == coll["total"]
    assert set(got) == expected
    # Nobody receives another user's private annotation or a foreign group's.
    groups = {g for g, s in ARCHIVE["groups"].items() if user in s["members"]}
    for a in items(coll):
        assert a["visibility"] != "private" or creator_of(a) == user
        assert a["visibility"] != "group" or a["group"] in groups
    rows = read_csv(export(engine, "annotations-csv", tmp_path / "a.csv", annotations=mode, user=user)[0])
    assert sorted(r["annotation_id"] for r in rows) == sorted(expected)
    md = export(engine, "annotations-md", tmp_path / "a.md", annotations=mode, user=user)[0].decode("utf-8")
    text = squash(html_text(markdown_html(md))[0])
    for ann_id in expected:
        assert text.count(f"Annotation: {ann_id}") == 1, ann_id
    assert text.count("Annotation: ") == len(expected)


def test_every_annotation_passes_the_w3c_musts_and_keeps_its_selectors(engine, tmp_path):
    data, _ = export(engine, "annotations-jsonld", tmp_path / "a.jsonld", user="tomas")
    coll = json.loads(data)
    assert coll["type"] == "AnnotationCollection" and coll["first"]["type"] == "AnnotationPage"
    assert "http://www.w3.org/ns/anno.jsonld" in coll["@context"]
    assert coll["id"].startswith("urn:uuid:") and coll["first"]["id"].startswith("urn:uuid:")
    assert coll["total"] == len(coll["first"]["items"]) > 20
    for a in coll["first"]["items"]:
        assert must_failures(a) == [], a["id"]
        raw = RAW[a["id"]]
        target = a["target"]
        assert target["source"] == raw["target"]["source"]
        assert target["source"].startswith(target["scope"] + "/")
        quote = next(s for s in target["selector"] if s["type"] == "TextQuoteSelector")
        pos = next(s for s in target["selector"] if s["type"] == "TextPositionSelector")
        raw_sel = {s["type"]: s for s in raw["target"]["selector"]}
        assert quote["exact"] == raw_sel["TextQuoteSelector"]["exact"]
        assert (pos["start"], pos["end"]) == (raw_sel["TextPositionSelector"]["start"],
                                              raw_sel["TextPositionSelector"]["end"])
        assert pos["end"] - pos["start"] == len(quote["exact"])
        # Recomputed context agrees with the source's (one is a tail/head of the other).
        rp, rs = raw_sel["TextQuoteSelector"].get("prefix", ""), raw_sel["TextQuoteSelector"].get("suffix", "")
        assert quote.get("prefix", "").endswith(rp) or rp.endswith(quote.get("prefix", ""))
        assert quote.get("suffix", "").startswith(rs) or rs.startswith(quote.get("suffix", ""))
        assert target["page"]
        body, tags = bodies_of(a)
        assert (body, tags) == bodies_of(raw)
        assert a["motivation"] == "commenting"
        assert a["visibility"] == raw["visibility"] and a.get("group") == raw.get("group")
        assert a["created"] == raw["created"] and a.get("modified") == raw.get("modified")
        assert creator_of(a) == creator_of(raw)


def test_extension_context_defines_the_terms():
    from exporter.view import EXTENSION_CONTEXT_IRI

    root = Path(__file__).resolve().parents[1]
    ctx = json.loads((root / "src/exporter/contexts/exporter.jsonld").read_text(encoding="utf-8"))["@context"]
    base = ctx["exporter"]
    for term in ("visibility", "group", "page"):
        assert ctx[term]["@id"].startswith("exporter:")
    assert base.startswith(EXTENSION_CONTEXT_IRI.rsplit(".", 1)[0])
    doc = (root / "docs/annotations.md").read_text(encoding="utf-8")
    assert EXTENSION_CONTEXT_IRI in doc


def test_csv_values_match_the_sources(engine, tmp_path):
    data, _ = export(engine, "annotations-csv", tmp_path / "a.csv", user="irina")
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert list(rows[0]) == ["annotation_id", "entry_id", "entry_title", "entry_date", "page", "layer", "quote",
                             "body", "tags", "creator", "creator_name", "visibility", "group", "created",
                             "modified", "link"]
    toc = {e["id"]: e for e in _toc()}
    for r in rows:
        raw = RAW[r["annotation_id"]]
        body, tags = bodies_of(raw)
        quote = next(s for s in raw["target"]["selector"] if s["type"] == "TextQuoteSelector")["exact"]
        entry_id, layer = raw["target"]["source"].rstrip("/").rsplit("/", 2)[-2:]
        assert r["entry_id"] == entry_id and r["layer"] == layer
        assert r["entry_title"] == neutralised(toc[entry_id]["title"])
        assert r["entry_date"] == (toc[entry_id]["date"] or "")
        assert r["page"] in toc[entry_id]["pages"][layer]
        assert r["quote"] == neutralised(quote)
        assert r["body"] == neutralised(body)
        assert r["tags"] == neutralised("; ".join(tags))
        assert r["creator"] == creator_of(raw)
        assert r["visibility"] == raw["visibility"] and r["group"] == raw.get("group", "")
        assert r["created"] == raw["created"] and r["modified"] == raw.get("modified", "")
        assert r["link"].startswith(f"https://archive.example.org/kd/kd1/{entry_id}#:~:text=")
        _check_text_fragment(r["link"].split("#:~:text=", 1)[1], quote)


def _check_text_fragment(fragment: str, exact: str) -> None:
    """The text fragment names the quote: prefix-, start[, end], -suffix, each percent-encoded."""
    from urllib.parse import unquote

    terms = fragment.split(",")
    assert all(set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~%-") for t in terms)
    if terms[0].endswith("-"):
        terms = terms[1:]
    if terms[-1].startswith("-"):
        terms = terms[:-1]
    words = squash(exact)
    parts = [unquote(t) for t in terms]
    assert 1 <= len(parts) <= 2
    if len(parts) == 1:
        assert parts[0] == words
    else:
        assert words.startswith(parts[0]) and words.endswith(parts[1])


def _toc():
    from conftest import run_cli

    done = run_cli("toc", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return data["entries"] if isinstance(data, dict) else data


# -- hostile user text ---------------------------------------------------------------------------

HOSTILE_BODIES = [
    "=HYPERLINK(\"http://evil.example\",\"click\")", "+SUM(A1:A9)", "-2+3", "@cmd|' /C calc'!A0",
    "\tstarts with a tab", "\rstarts with CR", "\nstarts with LF",
    "*bold* _it_ [x](y) <script>alert(1)</script>", "# heading at line start\n## and another",
    "`code` and ``two`` | pipe | table |\n---|---", "1. list\n- item\n+ plus\n> quote\n    indented code",
    "$x^2$ H~2~O ~~gone~~ @smith04 [@cite] &amp; &#65; {.class} :smile: ===\nsetext --dash--",
    "line one\nline two\n\nsecond paragraph \\ with a backslash\\",
]


@pytest.fixture(scope="module")
def hostile_corpus(tmp_path_factory) -> Path:
    """The sample volume with a file of public annotations whose text attacks CSV and Markdown."""
    folder = tmp_path_factory.mktemp("hostile")
    for f in SAMPLE.glob("*.xml"):
        shutil.copy(f, folder)
    shutil.copy(SAMPLE / "archive.json", folder)
    template = next(a for a in RAW.values() if a["visibility"] == "public")
    made = []
    for n, body in enumerate(HOSTILE_BODIES):
        a = copy.deepcopy(template)
        a["id"] = f"https://archive.example.org/test/hostile-{n}"
        a["body"] = [{"type": "TextualBody", "value": body, "format": "text/plain", "language": "en"},
                     {"type": "TextualBody", "value": "=tag" if n == 0 else "plain", "purpose": "tagging"}]
        made.append(a)
    tags_only = copy.deepcopy(template)
    tags_only.update(id="https://archive.example.org/test/tags-only",
                     body=[{"type": "TextualBody", "value": "t1", "purpose": "tagging"}])
    highlight = copy.deepcopy(template)
    highlight.pop("body")
    highlight.update(id="local id 7", created="2026-01-01T10:00:00", modified="2026-01-02T10:00:00+02:00")
    made += [tags_only, highlight]
    (folder / "annotations").mkdir()
    (folder / "annotations" / "hostile.jsonld").write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    return folder


def test_csv_neutralises_formula_cells(engine, tmp_path, hostile_corpus):
    data, _ = export(engine, "annotations-csv", tmp_path / "h.csv", corpus=hostile_corpus)
    rows = {r["annotation_id"]: r for r in read_csv(data)}
    for n, body in enumerate(HOSTILE_BODIES):
        r = rows[f"https://archive.example.org/test/hostile-{n}"]
        assert r["body"] == neutralised(body)
        if body[0] in "=+-@\t\r\n":
            assert r["body"] == "'" + body
    assert rows["https://archive.example.org/test/hostile-0"]["tags"] == "'=tag"
    for r in rows.values():
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


def test_jsonld_motivations_ids_and_times(engine, tmp_path, hostile_corpus):
    data, _ = export(engine, "annotations-jsonld", tmp_path / "h.jsonld", corpus=hostile_corpus)
    by_id = {a["id"]: a for a in json.loads(data)["first"]["items"]}
    for a in by_id.values():
        assert must_failures(a) == [], a["id"]
    tags_only = by_id["https://archive.example.org/test/tags-only"]
    assert tags_only["motivation"] == "tagging" and tags_only["body"]["purpose"] == "tagging"
    highlight = by_id["urn:exporter:annotation:local%20id%207"]
    assert highlight["motivation"] == "highlighting" and "body" not in highlight
    assert highlight["created"] == "2026-01-01T10:00:00Z" and highlight["modified"] == "2026-01-02T10:00:00+02:00"
    body = by_id["https://archive.example.org/test/hostile-0"]["body"]
    assert body[0]["value"] == HOSTILE_BODIES[0] and body[0]["purpose"] == "commenting"


@pytest.mark.parametrize("flavour", ["commonmark", "gfm", "markdown-smart"])
def test_markdown_renders_user_text_literally(engine, tmp_path, hostile_corpus, flavour):
    md = export(engine, "annotations-md", tmp_path / "h.md", corpus=hostile_corpus)[0].decode("utf-8")
    html = markdown_html(md, flavour)
    text, tags = html_text(html)
    assert "script" not in tags and not {"em", "strong", "code", "table", "ol", "del", "sub", "sup"} & tags
    flat = squash(text)
    for body in HOSTILE_BODIES:
        assert squash(body) in flat, body
    assert flat.count("Annotation: ") == len(HOSTILE_BODIES) + 2


def test_markdown_groups_by_entry_in_volume_order(engine, tmp_path):
    md = export(engine, "annotations-md", tmp_path / "a.md", user="tomas")[0].decode("utf-8")
    toc_order = [e["id"] for e in _toc()]
    headings = [ln for ln in md.splitlines() if ln.startswith("Entry ")]
    ids = [ln.split()[1].rstrip(",").replace("\\", "") for ln in headings]
    assert ids == sorted(ids, key=toc_order.index) and len(ids) == len(set(ids))
    assert md.count("\n### ") == len(allowed(RAW, ARCHIVE, "visible", "tomas"))
    assert "Citation: " in md and "#:~:text=" in md


# -- round trip -------------------------------------------------------------------------------------

def _strip_generated(data: bytes) -> dict:
    coll = json.loads(data)
    coll.pop("generated", None)
    return coll


def _corpus_copy(folder: Path, annotations: bytes | None) -> Path:
    folder.mkdir()
    for f in SAMPLE.glob("*.xml"):
        shutil.copy(f, folder)
    shutil.copy(SAMPLE / "archive.json", folder)
    if annotations is not None:
        (folder / "annotations").mkdir()
        (folder / "annotations" / "export.jsonld").write_bytes(annotations)
    return folder


@pytest.mark.parametrize("user,pages", [(None, None), ("irina", None), ("tomas", None), ("dmitri", "20-40")])
def test_jsonld_round_trip_is_identical(engine, tmp_path, user, pages):
    first, result = export(engine, "annotations-jsonld", tmp_path / "1.jsonld", user=user, pages=pages)
    assert json.loads(first)["total"] > 0
    copy_dir = _corpus_copy(tmp_path / "corpus", first)
    second, result2 = export(engine, "annotations-jsonld", tmp_path / "2.jsonld", corpus=copy_dir, user=user,
                             pages=pages)
    assert not [w for w in result2.warnings if w.startswith("annotation")]
    assert _strip_generated(second) == _strip_generated(first)
    # The other two formats agree as well (CSV has no timestamp at all).
    csv1, _ = export(engine, "annotations-csv", tmp_path / "1.csv", user=user, pages=pages)
    csv2, _ = export(engine, "annotations-csv", tmp_path / "2.csv", corpus=copy_dir, user=user, pages=pages)
    assert csv1 == csv2


def test_must_checker_rejects_broken_annotations():
    """The offline W3C checker used above does fail on faults (so its passes mean something)."""
    bad = {"id": "not a uri", "type": "Annotation", "created": "yesterday", "target": "x",
           "body": {"type": "TextualBody", "value": "v"}, "bodyValue": "v"}
    names = " ".join(must_failures(bad))
    for name in ("annotationContextValidated", "annotationIdValidated", "annotationCreatedValidated",
                 "notBodyBodyValue", "targetObjectsRecognized"):
        assert name in names


def test_fast_serialiser_equals_the_object_form(engine, hostile_corpus, sample):
    """The JSON-LD writer's string builder gives exactly the compact JSON of the object form."""
    from exporter.engine import ExportRequest
    from exporter.formats.annotations.common import passages
    from exporter.formats.annotations.jsonld import annotation_json, annotation_object

    n = 0
    for corpus in (hostile_corpus, None):
        doc = engine.assemble(ExportRequest(format="annotations-jsonld", all=True, corpus=corpus, user="tomas"))
        for entry, ann, prefix, suffix in passages(doc):
            fast = annotation_json(entry, ann, prefix, suffix)
            assert fast == json.dumps(annotation_object(entry, ann, prefix, suffix), ensure_ascii=False,
                                      separators=(",", ":"))
            n += 1
    assert n > 40


def test_entries_named_out_of_order_come_in_volume_order(engine, tmp_path):
    toc = [e["id"] for e in _toc()]
    annotated = sorted({RAW[i]["target"]["source"].rsplit("/", 2)[-2] for i in allowed(RAW, ARCHIVE, "visible", None)},
                       key=toc.index)
    chosen = ",".join(reversed(annotated[:3]))
    md = export(engine, "annotations-md", tmp_path / "o.md", all=False, entries=chosen)[0].decode("utf-8")
    ids = [ln.split()[1].rstrip(",").replace("\\", "") for ln in md.splitlines() if ln.startswith("Entry ")]
    assert ids == annotated[:3]
    numbers = [int(ln.split(".")[0][4:]) for ln in md.splitlines() if ln.startswith("### ")]
    assert numbers == list(range(1, len(numbers) + 1))
    data, _ = export(engine, "annotations-jsonld", tmp_path / "o.jsonld", all=False, entries=chosen)
    sources = [a["target"]["scope"].rsplit("/", 1)[-1] for a in json.loads(data)["first"]["items"]]
    assert sources == sorted(sources, key=toc.index)


def test_no_matching_annotation_gives_empty_exports(engine, tmp_path):
    data, result = export(engine, "annotations-jsonld", tmp_path / "e.jsonld", tags=["no-such-tag"])
    coll = json.loads(data)
    assert coll["total"] == 0 and "first" not in coll and coll["type"] == "AnnotationCollection"
    assert result.annotations == 0
    rows = read_csv(export(engine, "annotations-csv", tmp_path / "e.csv", tags=["no-such-tag"])[0])
    assert rows == []
    md = export(engine, "annotations-md", tmp_path / "e.md", annotations="none")[0].decode("utf-8")
    assert "No annotations" in md and "### " not in md
