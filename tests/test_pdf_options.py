"""``--paper`` and ``--pdf-variant``: the output declares what was asked for (read with pypdf)."""

from __future__ import annotations

import pytest

from conftest import run_cli

pypdf = pytest.importorskip("pypdf")

ONE = dict(entries="kd1-1918-03-06", layer="translation", user="irina", annotations="visible")


def export(engine, tmp_path, name: str, **options: str):
    from exporter.engine import ExportRequest

    out = tmp_path / name
    result = engine.export(ExportRequest(format="pdf", accept_terms=True, options=options, **ONE), out)
    return pypdf.PdfReader(out), result


PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"


def xmp(reader, ns: str) -> dict[str, str]:
    """Properties in namespace ``ns`` of the XMP packet (attribute or element form)."""
    import xml.etree.ElementTree as ET

    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    found = {}
    for el in ET.fromstring(data[data.index(b"<x:xmpmeta"):data.rindex(b"</x:xmpmeta>") + 12]).iter():
        for key, value in el.attrib.items():
            if key.startswith("{" + ns + "}"):
                found[key[len(ns) + 2:]] = value
        if el.tag.startswith("{" + ns + "}"):
            found[el.tag[len(ns) + 2:]] = (el.text or "").strip()
    return found


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("pdf-options")


def test_letter_paper(engine, tmp):
    reader, result = export(engine, tmp, "letter.pdf", paper="letter")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert result.rendered_pages == len(reader.pages)


def test_a4_is_the_default(engine, tmp):
    reader, _ = export(engine, tmp, "a4.pdf")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert "/Metadata" not in reader.trailer["/Root"]


def test_pdf_a_3b_declared(engine, tmp):
    reader, result = export(engine, tmp, "a3b.pdf", pdf_variant="pdf/a-3b")
    assert xmp(reader, PDFAID) == {"part": "3", "conformance": "B"}
    assert reader.pdf_header == "%PDF-1.7"
    assert "/OutputIntents" in reader.trailer["/Root"]
    annots = [a.get_object() for p in reader.pages for a in (p.get("/Annots") or [])]
    assert len(annots) >= result.annotations >= 1
    for a in annots:  # PDF/A: every annotation printable and with an appearance
        assert int(a["/F"]) == 4 and "/AP" in a


def test_pdf_ua_1_declared_and_annotations_tagged(engine, tmp):
    reader, _ = export(engine, tmp, "ua1.pdf", pdf_variant="pdf/ua-1")
    assert xmp(reader, PDFUAID).get("part") == "1"
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] in (True, "true")
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]) == "en"
    assert reader.metadata.title
    tree = root["/StructTreeRoot"].get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    highlights = [a.get_object() for p in reader.pages for a in (p.get("/Annots") or [])
                  if a.get_object()["/Subtype"] in ("/Highlight", "/Text")]
    assert highlights
    for a in highlights:
        elem = parents[int(a["/StructParent"])].get_object()
        assert elem["/S"] == "/Annot"
        assert elem["/K"]["/Obj"].get_object() == a
    for p in reader.pages:
        if p.get("/Annots"):
            assert p["/Tabs"] == "/S"


def test_unknown_variant_refused_with_known_list(tmp_path):
    out = tmp_path / "x.pdf"
    proc = run_cli("export", "--entries", "kd1-1918-03-06", "--format", "pdf", "--output", str(out),
                   "--accept-terms", "--pdf-variant", "pdf/z-9")
    assert proc.returncode == 2
    assert b"pdf/a-3b" in proc.stderr and b"pdf/ua-1" in proc.stderr
    assert not out.exists()
