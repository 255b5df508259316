"""The render shortcuts of the ``pdf`` format change nothing a reader sees.

* the generated page is parsed with the XML parser when it can be, else with weasyprint's own
  HTML5 parser: both must give the same element tree, and the fallback must still be taken;
* the trimmed user-agent stylesheet lays pages out as weasyprint's own.
"""

from __future__ import annotations

import io

import pytest

pytest.importorskip("weasyprint")


def _tree(element) -> list[tuple]:
    return [(e.tag, dict(e.attrib), (e.text or "").strip(), (e.tail or "").strip()) for e in element.iter()]


def test_xml_parse_gives_the_html5_tree(engine, monkeypatch):
    import tinyhtml5

    from exporter.engine import ExportRequest
    from exporter.formats.pdf import _html_document
    from exporter.formats.pdf_fetcher import make_fetcher
    from exporter.formats.pdf_html import build_html

    request = ExportRequest(format="pdf", accept_terms=True, range="kd1-1918-03-03a..kd1-1918-03-14",
                            pages="20-29", layer="both", user="irina", annotations="visible")
    doc = engine.assemble(request, engine.plugins.formats.get("pdf"))
    html5_parse = tinyhtml5.parse

    def refuse(*args, **kwargs):
        raise AssertionError("the HTML5 parser was used for a well-formed page")

    monkeypatch.setattr(tinyhtml5, "parse", refuse)
    for endnotes in (set(), set(range(len(doc.entries)))):
        html = build_html(doc, endnotes, {})
        fast = _html_document(html, make_fetcher())
        assert fast.base_url == "about:blank" and fast.media_type == "print"
        assert _tree(fast.etree_element) == _tree(html5_parse(html, namespace_html_elements=False))
        assert any(e.get("class") == "footnote" for e in fast.etree_element.iter()) or endnotes


def test_not_well_formed_falls_back_to_html5_parser():
    from exporter.formats.pdf import _html_document
    from exporter.formats.pdf_fetcher import make_fetcher

    html = "<!DOCTYPE html><html><head><meta charset=utf-8></head><body><p>a\x0cb<br>c</p></body></html>"
    document = _html_document(html, make_fetcher())
    paragraph = next(document.etree_element.iter("p"))
    assert paragraph.text == "a\x0cb" and paragraph[0].tag == "br"
    assert len(document.render().pages) == 1


def test_own_user_agent_stylesheet_lays_out_like_weasyprints(engine, tmp_path):
    """The trimmed user-agent stylesheet (``pdf_ua``) gives the same pages as weasyprint's own:
    same text where pdftotext finds it, same anchors at the same positions."""
    import shutil
    import subprocess

    from weasyprint import HTML

    from exporter.engine import ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf_html import build_html

    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is required")
    request = ExportRequest(format="pdf", accept_terms=True, range="kd1-1918-03-03a..kd1-1918-03-14",
                            pages="20-29", layer="both", user="irina", annotations="visible")
    doc = engine.assemble(request, engine.plugins.formats.get("pdf"))
    ours = pdf._html_class()
    assert ours is not HTML
    results = []
    for cls in (HTML, ours):
        fonts, sheets = pdf._resources("a4")
        document = cls(string=build_html(doc, set(), {}), base_url="about:blank")
        rendered = document.render(stylesheets=sheets, font_config=fonts)
        anchors = [sorted((k, tuple(round(v, 2) for v in box)) for k, box in page.anchors.items())
                   for page in rendered.pages]
        path = tmp_path / f"{cls.__name__}.pdf"
        path.write_bytes(rendered.write_pdf())
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        results.append((len(rendered.pages), anchors, text))
    assert results[0][0] == results[1][0] > 1
    assert results[0][1] == results[1][1]
    assert results[0][2] == results[1][2] and "Transcription" in results[0][2].title()
