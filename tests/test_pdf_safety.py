"""Hostile annotation bodies print literally; the PDF loads nothing and embeds nothing.

A copy of the sample corpus gets one extra annotation file whose bodies try markup, file URLs,
attachments, CSS, an unbreakable 3,000-character word and bidi overrides.  Checked with pypdf
(every object, streams decoded) and pdftotext.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLE, run_cli

pypdf = pytest.importorskip("pypdf")

ENTRY = "kd1-1918-03-06"
LONG_WORD = "".join(chr(ord("a") + (i * 7) % 26) for i in range(3000))


def hostile_bodies(secret: Path) -> list[str]:
    url = secret.as_uri()
    return [
        f'<img src="{url}"> and <img src="file:///etc/hostname">',
        f'<link rel="attachment" href="{url}"><a rel="attachment" href="{url}">x</a>',
        f'<p style="background: url({url})">css</p><style>body {{ background: url({url}) }}</style>',
        "</p><h1>x</h1><script>alert(1)</script>",
        LONG_WORD,
        "before \u202eevil override\u202c after \u2067isolate\u2069 end",
    ]


def annotation(n: int, body: str, exact: str, prefix: str) -> dict:
    return {
        "@context": ["http://www.w3.org/ns/anno.jsonld", "https://archive.example.org/ns/exporter.jsonld"],
        "id": f"https://archive.example.org/kd/annotations/hostile{n}",
        "type": "Annotation",
        "motivation": "commenting",
        "created": "2026-02-01T10:00:00Z",
        "creator": {"id": "https://archive.example.org/users/irina", "type": "Person",
                    "name": "Irina </b><i>Sokolova", "nickname": "irina"},
        "body": [{"type": "TextualBody", "value": body, "format": "text/plain", "purpose": "commenting"},
                 {"type": "TextualBody", "value": "<b>tag</b>", "purpose": "tagging"}],
        "target": {"source": f"https://archive.example.org/kd/kd1/{ENTRY}/translation",
                   "selector": [{"type": "TextQuoteSelector", "exact": exact, "prefix": prefix}]},
        "visibility": "public",
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf-hostile")
    secret = tmp / "secret.txt"
    secret.write_text("TOPSECRET-7f3c9a1e-do-not-leak\n")
    corpus = tmp / "corpus"
    (corpus / "annotations").mkdir(parents=True)
    for f in SAMPLE.iterdir():
        if f.is_file():
            shutil.copy(f, corpus / f.name)
    quotes = [("The bread ration", ""), ("the newspapers", "a day, and "), ("I buy from them", "speculators; "),
              ("the speculators", "the cause is "), ("bread at all", "would be no "),
              ("waistcoat pocket", "keep in a ")]
    items = [annotation(i, body, exact, prefix)
             for i, (body, (exact, prefix)) in enumerate(zip(hostile_bodies(secret), quotes), 1)]
    (corpus / "annotations" / "hostile.jsonld").write_text(json.dumps(items), encoding="utf-8")
    out = tmp / "hostile.pdf"
    proc = run_cli("export", "--corpus", str(corpus), "--entries", ENTRY, "--layer", "translation",
                   "--user", "irina", "--annotations", "mine", "--format", "pdf", "--output", str(out),
                   "--accept-terms", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    return out, secret, json.loads(proc.stdout), hostile_bodies(secret)


def all_objects(reader) -> list:
    from pypdf.generic import IndirectObject

    objs = []
    for num in range(1, int(reader.trailer["/Size"])):
        try:
            objs.append(reader.get_object(IndirectObject(num, 0, reader)))
        except Exception:  # free entries
            continue
    return [o for o in objs if o is not None]


def test_hostile_export_has_all_annotations(hostile):
    _out, _secret, result, bodies = hostile
    assert result["annotations"] == len(bodies)


def test_no_attachment_no_image_no_file_bytes(hostile):
    out, secret, _result, _bodies = hostile
    raw = out.read_bytes()
    reader = pypdf.PdfReader(out)
    root = reader.trailer["/Root"]
    assert "/EmbeddedFiles" not in (root.get("/Names") or {})
    assert "/AF" not in root
    leaked = secret.read_text().strip().encode()
    assert leaked not in raw
    for obj in all_objects(reader):
        if hasattr(obj, "get"):
            assert obj.get("/Type") not in ("/Filespec", "/EmbeddedFile")
            assert obj.get("/Subtype") != "/Image"
            assert obj.get("/Subtype") != "/FileAttachment"
        if hasattr(obj, "get_data"):
            assert leaked not in obj.get_data()
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        assert not xobjects, "the page draws an external object (image?)"


def test_bodies_print_literally(hostile):
    out, secret, _result, bodies = hostile
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out), "-"], capture_output=True,
                          check=True).stdout.decode()
    flat = " ".join(text.split())
    assert f'<img src="{secret.as_uri()}">' in flat
    assert '<img src="file:///etc/hostname">' in flat
    assert '<link rel="attachment"' in flat and '<a rel="attachment"' in flat
    assert f"background: url({secret.as_uri()})" in flat
    assert "</p><h1>x</h1><script>alert(1)</script>" in flat
    assert "Irina </b><i>Sokolova" in flat and "<b>tag</b>" in flat
    # the 3,000-character word is all there, wrapped over lines instead of cut off
    assert LONG_WORD in "".join(text.split())
    assert LONG_WORD not in flat, "the long word should wrap over several lines"
    # bidi controls are shown, not obeyed: the words keep their logical order
    assert "before ⟨U+202E⟩evil override⟨U+202C⟩ after ⟨U+2067⟩isolate⟨U+2069⟩ end" in flat


def test_nothing_runs_off_the_page(hostile):
    out, _secret, _result, _bodies = hostile
    html = subprocess.run(["pdftotext", "-bbox", str(out), "-"], capture_output=True, check=True).stdout.decode()
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S)
    assert pages
    for width, _height, body in pages:
        for x_max in re.findall(r'xMax="([\d.]+)"', body):
            assert float(x_max) <= float(width) - 20, "text runs into the page edge"


def test_pdf_annotations_carry_text_literally(hostile):
    out, _secret, _result, bodies = hostile
    reader = pypdf.PdfReader(out)
    contents = [str(a.get_object()["/Contents"]) for p in reader.pages for a in (p.get("/Annots") or [])]
    for body in bodies[:5]:
        assert body in contents
    assert any("⟨U+202E⟩evil override⟨U+202C⟩" in c for c in contents)


def test_fetcher_refuses_everything_but_assets_and_data(tmp_path):
    from exporter.formats.pdf.fetcher import ALLOWED, RefusedURL, make_fetcher

    fetcher = make_fetcher()
    secret = tmp_path / "s.txt"
    secret.write_text("x")
    for url in (secret.as_uri(), "file:///etc/hostname", "http://127.0.0.1/", "https://example.org/a.css",
                "ftp://example.org/x", "about:blank", "relative.css", secret.as_uri() + "?x",
                next(iter(ALLOWED)) + "#frag", next(iter(ALLOWED)).replace("pdf.css", "../styles/pdf.css")):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 10
    resp = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert resp.read() == b"hello"
    url, path = next(iter(ALLOWED.items()))
    assert fetcher.fetch(url).read() == path.read_bytes()


def test_weasyprint_with_the_fetcher_loads_nothing(tmp_path):
    """Defence in depth: even markup we never generate cannot make weasyprint read a file."""
    from weasyprint import HTML

    from exporter.formats.pdf.fetcher import make_fetcher

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red } /* LEAKME-91b2 */")
    img = tmp_path / "i.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n" + b"LEAKME-91b2" * 10)
    fetcher = make_fetcher()
    html = (f'<html><head><link rel="stylesheet" href="{secret.as_uri()}">'
            f'<link rel="attachment" href="{secret.as_uri()}"></head><body>'
            f'<img src="{img.as_uri()}"><p style="background: url({img.as_uri()})">x</p>'
            f'<a rel="attachment" href="{secret.as_uri()}">y</a></body></html>')
    pdf = HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf()
    assert b"LEAKME" not in pdf and b"/EmbeddedFile" not in pdf and b"/Image" not in pdf
    assert set(fetcher.refused) >= {secret.as_uri(), img.as_uri()}


def test_citation_html_keeps_only_simple_formatting():
    from exporter.formats.pdf.html import safe_citation_html

    html = ('<i>Title</i> <a href="file:///etc/hostname">link</a><img src="file:///x">'
            '<span style="background:url(file:///x)">s</span> &lt;b&gt; <script>x</script>')
    out = str(safe_citation_html(html))
    assert out == "<i>Title</i> link<span>s</span> &lt;b&gt; x"
