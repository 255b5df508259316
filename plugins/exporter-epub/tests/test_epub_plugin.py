"""Tests of the ``epub`` plugin: epubcheck, structure read back with zipfile + lxml, policy.

The books are read with independent tools only (epubcheck, ``zipfile``, lxml); expected values
come from the exporter's ``json`` export of the same selection.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from exporter.testing import check_format, sample_corpus

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parents[2]
# The FRUS volume as the exporter's test data keeps it (public domain).
FRUS = CHECKOUT / "tests" / "data" / "corpus" / "frus1918Russiav03.xml"
EXPORTER = Path(sys.executable).parent / "exporter"
NS = {"h": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SAMPLE_RANGE = "kd1-1918-01-03..kd1-1918-01-08"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = str(EXPORTER) if EXPORTER.exists() else shutil.which("exporter")
    assert exe, "the exporter console script is not installed"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def epubcheck_command() -> list[str]:
    """epubcheck's command line (Debian installs it as a jar; run it with java when it is not executable)."""
    jar = Path("/usr/share/java/epubcheck.jar")
    if jar.exists() and shutil.which("java"):
        # C1-only JIT and the serial collector: a short-lived check starts about twice as fast
        return ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar)]
    if shutil.which("epubcheck"):
        return ["epubcheck"]
    pytest.fail("epubcheck is not installed (Debian package epubcheck; scripts/setup.sh installs it)")


def export(tmp_path: Path, name: str, *args: str, fmt: str = "epub") -> Path:
    out = tmp_path / f"{name}.{fmt}"
    proc = run("export", *args, "--format", fmt, "--output", str(out), "--accept-terms")
    assert proc.returncode == 0, proc.stderr
    return out


def xml(zf: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(zf.read(name), etree.XMLParser(resolve_entities=False, no_network=True))


def text(el: etree._Element) -> str:
    return "".join(el.itertext())


def opf(zf: zipfile.ZipFile) -> tuple[str, etree._Element]:
    container = xml(zf, "META-INF/container.xml")
    path = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
    return path, xml(zf, path)


def spine_documents(zf: zipfile.ZipFile) -> list[tuple[str, etree._Element]]:
    path, package = opf(zf)
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    items = {i.get("id"): i for i in package.iterfind(".//opf:manifest/opf:item", NS)}
    out = []
    for ref in package.iterfind(".//opf:spine/opf:itemref", NS):
        href = base + items[ref.get("idref")].get("href")
        out.append((href, xml(zf, href)))
    return out


def chapters(zf: zipfile.ZipFile) -> list[tuple[str, etree._Element]]:
    return [(n, d) for n, d in spine_documents(zf)
            if d.find(".//h:section[@epub:type='chapter']", NS) is not None]


@pytest.fixture(scope="module")
def sample_books(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("epub")
    args = ("--range", SAMPLE_RANGE, "--user", "irina")
    return {"epub": export(tmp, "sample", *args), "json": export(tmp, "sample", *args, fmt="json")}


@pytest.fixture(scope="module")
def frus_books(tmp_path_factory) -> dict[str, Path]:
    if not FRUS.exists():
        pytest.fail(f"the FRUS volume is missing at {FRUS}")
    tmp = tmp_path_factory.mktemp("frus")
    # d15 has a note in its heading; d1..d8 are telegrams with datelines and closers
    args = ("--corpus", str(FRUS), "--entries", "d1,d2,d3,d15")
    return {"epub": export(tmp, "frus", *args), "json": export(tmp, "frus", *args, fmt="json")}


@pytest.mark.parametrize("book", ["sample", "frus"])
def test_epubcheck_passes(book, epubcheck_reports):
    code, report = epubcheck_reports[book]
    assert code == 0, report
    assert "No errors or warnings detected" in report, report


def test_container_and_metadata(sample_books):
    model = json.loads(sample_books["json"].read_text())
    with zipfile.ZipFile(sample_books["epub"]) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert zf.read("mimetype") == b"application/epub+zip"
        _, package = opf(zf)
    assert package.get("version") == "3.0"
    meta = package.find("opf:metadata", NS)
    uid = package.get("unique-identifier")
    ident = meta.find(f"dc:identifier[@id='{uid}']", NS)
    assert ident is not None and ident.text.startswith("urn:uuid:")
    assert meta.findtext("dc:title", namespaces=NS) == model["title"]
    assert [e.text for e in meta.iterfind("dc:language", NS)][:2] == ["en", "ru"]
    creators = [e.text for e in meta.iterfind("dc:creator", NS)]
    assert creators == ["Konstantin Dolgorukov"]
    editors = {p["name"] for p in model["volumes"][0]["editors"]}
    assert {e.text for e in meta.iterfind("dc:contributor", NS)} == editors
    assert meta.findtext("dc:date", namespaces=NS) == model["exported_at"][:10]
    assert meta.find("opf:meta[@property='dcterms:modified']", NS) is not None
    assert "ten source pages" in meta.findtext("dc:rights", namespaces=NS)


def test_one_chapter_per_entry_in_order(sample_books):
    model = json.loads(sample_books["json"].read_text())
    with zipfile.ZipFile(sample_books["epub"]) as zf:
        found = chapters(zf)
    assert [text(d.find(".//h:h1", NS)) for _, d in found] == [e["title"] for e in model["entries"]]


def _check_notes(doc: etree._Element, entry: dict) -> None:
    refs = doc.findall(".//h:a[@epub:type='noteref']", NS)
    asides = {a.get("id"): a for a in doc.iterfind(".//h:aside[@epub:type='footnote']", NS)}
    assert len(asides) == len({n["id"] for n in entry["notes"]})
    assert len(refs) >= len(asides) > 0
    for ref in refs:
        target = ref.get("href")
        assert target.startswith("#") and target[1:] in asides, target
        aside = asides[target[1:]]
        note = next(n for n in entry["notes"] if n["label"] == text(ref))
        assert " ".join(note["text"].split()) in " ".join(text(aside).split())


def test_notes_are_epub_footnotes(sample_books, frus_books):
    for books in (sample_books, frus_books):
        model = json.loads(books["json"].read_text())
        with zipfile.ZipFile(books["epub"]) as zf:
            for (_, doc), entry in zip(chapters(zf), model["entries"], strict=True):
                if entry["notes"]:
                    _check_notes(doc, entry)


def test_heading_note_is_a_footnote(frus_books):
    model = json.loads(frus_books["json"].read_text())
    entry = next(e for e in model["entries"] if e["id"] == "d15")
    assert any(i["type"] == "note" for i in entry["heading"])
    with zipfile.ZipFile(frus_books["epub"]) as zf:
        doc = chapters(zf)[[e["id"] for e in model["entries"]].index("d15")][1]
    h1 = doc.find(".//h:h1", NS)
    ref = h1.find(".//h:a[@epub:type='noteref']", NS)
    assert ref is not None
    assert doc.find(f".//h:aside[@id='{ref.get('href')[1:]}']", NS) is not None


def test_page_markers_and_page_list(sample_books):
    model = json.loads(sample_books["json"].read_text())
    with zipfile.ZipFile(sample_books["epub"]) as zf:
        docs = chapters(zf)
        nav = next(d for _, d in spine_documents(zf) if d.find(".//h:nav[@epub:type='toc']", NS) is not None)
    listed = []
    for (_name, doc), entry in zip(docs, model["entries"], strict=True):
        for layer_name, layer in entry["layers"].items():
            section = doc.find(f".//h:section[@id='layer-{layer_name}']", NS)
            marks = [m.get("title") for m in section.iter() if m.get(EPUB_TYPE) == "pagebreak"]
            expected = [i["label"] for b in layer["blocks"] for i in b["inlines"] if i["type"] == "page"]
            assert marks == expected and marks, (entry["id"], layer_name)
        first = next(iter(entry["layers"]))
        listed += [i["label"] for b in entry["layers"][first]["blocks"] for i in b["inlines"] if i["type"] == "page"]
    page_list = nav.find(".//h:nav[@epub:type='page-list']", NS)
    assert [text(a) for a in page_list.iterfind(".//h:a", NS)] == listed
    toc = nav.find(".//h:nav[@epub:type='toc']/h:ol", NS)
    assert [text(li.find("h:a", NS)) for li in toc.findall("h:li", NS)] == [e["title"] for e in model["entries"]]


def test_citation_and_metadata_per_entry(sample_books):
    model = json.loads(sample_books["json"].read_text())
    with zipfile.ZipFile(sample_books["epub"]) as zf:
        for (_, doc), entry in zip(chapters(zf), model["entries"], strict=True):
            cite = doc.find(".//h:p[@class='citation']", NS)
            assert entry["citation"]["note"] in text(cite)
            meta = doc.find(".//h:dl", NS)
            pairs = dict(zip([text(d) for d in meta.iterfind("h:dt", NS)],
                             [text(d) for d in meta.iterfind("h:dd", NS)]))
            assert pairs["Archival id"] == entry["archival_id"]
            assert pairs["Author"] == entry["authors"][0]["name"]


def test_annotations_highlighted_and_listed(sample_books):
    model = json.loads(sample_books["json"].read_text())
    anns = [a for e in model["entries"] for a in e["annotations"]]
    assert anns, "the sample selection should carry annotations for irina"
    with zipfile.ZipFile(sample_books["epub"]) as zf:
        docs = [d for _, d in chapters(zf)]
    for ann in anns:
        n = str(ann["number"])
        doc = next(d for d in docs if d.find(f".//h:li[@id='ann{n}']", NS) is not None)
        marked = "".join(text(m) for m in doc.iterfind(".//h:mark", NS)
                         if n in m.get("data-annotations", "").split())
        assert " ".join(marked.split()) == " ".join(ann["exact"].split())
        item = doc.find(f".//h:li[@id='ann{n}']", NS)
        assert ann["body"].split("\n")[0].strip() in text(item)
        assert ann["creator_name"] in text(item)


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory):
    """A book made from a model whose every string is hostile markup."""
    from exporter_epub import render

    from exporter.model import (
        Annotation,
        AnnotationEnd,
        AnnotationStart,
        Block,
        Citation,
        Document,
        Entry,
        Layer,
        Note,
        NoteRef,
        PageBreak,
        Person,
        Selection,
        Text,
        Volume,
    )

    evil = '<script>alert("x")</script> & </p><p epub:type="x">'
    vol = Volume(id="v", title=evil, editors=[Person(literal=evil)], languages=["en"], terms=evil)
    note = Note(id="n&1", label="<1>", content=[Text(evil)])
    ann = Annotation(id="a", entry_id="e", layer="text", exact="bold", prefix="", suffix="", body=evil,
                     creator="u", creator_name=evil, tags=[evil], number=1, page="1")
    blocks = [Block("paragraph", [PageBreak("1\"><x"), Text(evil, frozenset({"italic"})), NoteRef(note),
                                  AnnotationStart(ann), Text("bold", frozenset({"bold"})), AnnotationEnd(ann)])]
    entry = Entry(id="e", local_id="e", volume=vol, title=evil, heading=[Text(evil)],
                  authors=[Person(literal=evil)], layers={"text": Layer("text", "en", blocks, ["1"])},
                  annotations=[ann], citation=Citation(note=evil, bibliography=evil))
    doc = Document(entries=[entry], volumes=[vol], selection=Selection("entries", "e"), user="u", user_name=evil,
                   exported_at=datetime(2026, 1, 1, tzinfo=UTC))
    out = BytesIO()
    render(doc, out)
    path = tmp_path_factory.mktemp("hostile") / "evil.epub"
    path.write_bytes(out.getvalue())
    return {"epub": path, "evil": evil, "title": doc.title}


@pytest.fixture(scope="module")
def epubcheck_reports(sample_books, frus_books, hostile_book) -> dict[str, tuple[int, str]]:
    """epubcheck run on every book, all at once (the JVM start dominates)."""
    command = epubcheck_command()
    running = {name: subprocess.Popen([*command, str(books["epub"])], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
               for name, books in (("sample", sample_books), ("frus", frus_books), ("hostile", hostile_book))}
    return {name: (proc.wait(timeout=600), proc.stdout.read()) for name, proc in running.items()}


def test_escaping_of_hostile_model_text(hostile_book, epubcheck_reports):
    """Titles, notes, names and annotation bodies are data: markup in them comes out as text."""
    evil = hostile_book["evil"]
    with zipfile.ZipFile(hostile_book["epub"]) as zf:
        found = chapters(zf)
        assert found
        for name, chapter in found:
            assert not list(chapter.iter("{*}script")), name
            assert evil in text(chapter.find(".//h:h1", NS))
            assert evil in text(chapter.find(".//h:aside", NS))
            assert evil in text(chapter.find(".//h:li[@id='ann1']", NS))
        _, package = opf(zf)
        assert package.find(".//dc:title", NS).text == hostile_book["title"]
    code, report = epubcheck_reports["hostile"]
    assert code == 0, report


def test_listed_by_plugin_and_removed_when_disabled():
    proc = run("formats", "--json")
    assert proc.returncode == 0, proc.stderr
    row = next(r for r in json.loads(proc.stdout) if r["name"] == "epub")
    assert row == {**row, "plugin": "epub", "media_type": "application/epub+zip", "extension": "epub",
                   "print_limited": True}
    for env in ({"EXPORTER_DISABLE_PLUGINS": "epub"}, {"EXPORTER_PLUGINS": ""}):
        proc = run("formats", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "epub" not in {r["name"] for r in json.loads(proc.stdout)}


def test_print_limit_and_terms_apply(tmp_path):
    out = tmp_path / "all.epub"
    proc = run("export", "--all", "--format", "epub", "--output", str(out), "--accept-terms")
    assert proc.returncode == 5 and "print limit" in proc.stderr
    proc = run("export", "--range", SAMPLE_RANGE, "--format", "epub", "--output", str(out))
    assert proc.returncode == 5 and "--accept-terms" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_basics_with_the_exporter_test_helper(tmp_path):
    checked = check_format("epub", tmp_path)
    assert checked.checks == ["registration", "export", "media type", "terms", "print limit"]
    assert checked.format.plugin == "epub"
    assert checked.request.corpus == sample_corpus()


def test_nothing_in_the_exporter_names_the_plugin():
    src = CHECKOUT / "src"
    if not src.is_dir():
        pytest.fail(f"expected the exporter's source tree at {src}")
    for path in src.rglob("*.py"):
        body = path.read_text(encoding="utf-8")
        assert "exporter_epub" not in body and "exporter-epub" not in body, path
