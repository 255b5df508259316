"""The render shortcuts of the ``pdf`` format change nothing a reader sees.

* the generated page is parsed with the XML parser when it can be, else with weasyprint's own
  HTML5 parser: both must give the same element tree, and the fallback must still be taken;
* the trimmed user-agent stylesheet lays pages out as weasyprint's own;
* the faster weasyprint import (:mod:`exporter.formats.pdf.speedups.imports`) is really taken, and with
  the speed-ups of :mod:`exporter.formats.pdf.speedups.tuning` gives the same PDF as plain weasyprint:
  byte for byte at weasyprint's compression level, the same decompressed page content at ours.
"""

from __future__ import annotations

import io
from datetime import UTC

import pytest

pytest.importorskip("weasyprint")


@pytest.fixture(autouse=True)
def speedups_on(monkeypatch):
    """These tests are about the speed-ups, so they run with them on, also in the CI lane that runs
    the rest of the suite with EXPORTER_PDF_SPEEDUPS=0; the subprocesses they start choose their
    own setting (see ``_render``)."""
    monkeypatch.setenv("EXPORTER_PDF_SPEEDUPS", "1")


def _tree(element) -> list[tuple]:
    return [(e.tag, dict(e.attrib), (e.text or "").strip(), (e.tail or "").strip()) for e in element.iter()]


def test_xml_parse_gives_the_html5_tree(engine, monkeypatch):
    import tinyhtml5

    from exporter.engine import ExportRequest
    from exporter.formats.pdf import _html_document
    from exporter.formats.pdf.fetcher import make_fetcher
    from exporter.formats.pdf.html import build_html

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
    from exporter.formats.pdf.fetcher import make_fetcher

    html = "<!DOCTYPE html><html><head><meta charset=utf-8></head><body><p>a\x0cb<br>c</p></body></html>"
    document = _html_document(html, make_fetcher())
    paragraph = next(document.etree_element.iter("p"))
    assert paragraph.text == "a\x0cb" and paragraph[0].tag == "br"
    assert len(document.render().pages) == 1


def test_own_user_agent_stylesheet_lays_out_like_weasyprints(engine, tmp_path):
    """The trimmed user-agent stylesheet (:mod:`exporter.formats.pdf.ua`) gives the same pages as weasyprint's own:
    same text where pdftotext finds it, same anchors at the same positions."""
    import shutil
    import subprocess

    from weasyprint import HTML

    from exporter.engine import ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf.html import build_html

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


def test_own_user_agent_stylesheet_gives_footnote_pseudo_elements_to_every_footnote():
    """The user-agent sheet's ``::footnote-call`` and ``::footnote-marker`` rules are written for
    ``.footnote`` alone: every rule of the print stylesheet that floats an element to the footnote
    area must select exactly that, or its footnotes would lose the default call and marker."""
    import tinycss2

    from exporter.assets import read_style
    from exporter.formats.pdf.ua import UA_CSS

    floated = []
    for rule in tinycss2.parse_stylesheet(read_style("pdf.css"), skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if (declaration.type == "declaration" and declaration.lower_name == "float"
                    and tinycss2.serialize(declaration.value).strip() == "footnote"):
                floated.append(tinycss2.serialize(rule.prelude).strip())
    assert floated == [".footnote"]
    pseudo = [line.split("{")[0].strip() for line in UA_CSS.splitlines() if "::footnote-" in line]
    assert pseudo == [".footnote::footnote-call", ".footnote::footnote-marker"]


# Renders fixed selections to DIR, with plain weasyprint ("plain") or the format's own import and
# speed-ups ("tuned"; also "tuned9": the same again at pydyf's own compression level, with every
# line from the line cache and every font subset kept).  Simulated other releases: "other"
# (weasyprint reports 70.1, as installed and as imported), "pydyf-other" (pydyf reports 0.12.0);
# "off" runs with EXPORTER_PDF_SPEEDUPS=0 (set by the test).  Prints what it saw as JSON.
_RENDER_SCRIPT = r"""
import gc, io, json, sys, zlib
from datetime import datetime, timezone
from pathlib import Path

mode, out, frus = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if mode == "plain":
    import weasyprint  # before the format imports it: no replaced sources
    from exporter.formats.pdf.speedups import tuning as pdf_tuning
    pdf_tuning.install = lambda: False
if mode == "other":
    import importlib.metadata as metadata
    real_version = metadata.version
    metadata.version = lambda name: "70.1" if name == "weasyprint" else real_version(name)
    from exporter.formats.pdf.speedups.imports import import_weasyprint
    import_weasyprint().__version__ = "70.1"
from exporter.engine import Engine, ExportRequest
from exporter.formats import pdf
from exporter.formats.pdf.speedups.imports import import_weasyprint
import pydyf
if mode == "pydyf-other":
    pydyf.__version__ = "0.12.0"
weasyprint = import_weasyprint()
import weasyprint.css as css
import weasyprint.layout.inline as inline
stock = {"missing": css.ComputedStyle.__missing__, "split": inline.split_first_line, "zlib": pydyf.zlib,
         "gc": gc.get_threshold()}


def state():
    return {"stock missing": css.ComputedStyle.__missing__ is stock["missing"],
            "stock split_first_line": inline.split_first_line is stock["split"],
            "stock zlib": pydyf.zlib is zlib, "stock gc": gc.get_threshold() == stock["gc"]}


seen_during = []
inner = pdf._render


def spy(doc, out):
    seen_during.append(state())
    return inner(doc, out)


pdf._render = spy

engine = Engine()
fmt = engine.plugins.formats.get("pdf")
requests = {
    "sample-10": ExportRequest(format="pdf", accept_terms=True, range="kd1-1918-03-03a..kd1-1918-03-14",
                               pages="20-29", layer="translation", user="irina", annotations="visible"),
    "sample-both": ExportRequest(format="pdf", accept_terms=True, range="kd1-1918-02-22..kd1-1918-03-03b",
                                 layer="both", user="irina", annotations="visible"),
    "frus": ExportRequest(format="pdf", accept_terms=True, entries="d1,d2,d3", corpus=frus),
    "hostile": ExportRequest(format="pdf", accept_terms=True, entries="kd1-1918-03-03a", layer="both",
                             user="irina", annotations="visible"),
}
HOSTILE = ("line one\nline two\r\nthree\u2029four \U0001F600 \U0010FFFD e\u0301\u0327 "
           "\u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645 x\u00adx " + "w" * 300)
info = {}
for name, request in requests.items():
    doc = engine.assemble(request, fmt)
    doc.exported_at = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    if name == "hostile":  # paragraph separators in pre-wrap text, emoji, .notdef, RTL, a long word
        doc.annotations[0].body = HOSTILE
    buffer = io.BytesIO()
    pdf.render(doc, buffer)
    (out / f"{name}-{mode}.pdf").write_bytes(buffer.getvalue())
    if mode == "tuned":
        from exporter.formats.pdf.speedups import tuning
        from exporter.formats.pdf.speedups.draw import RECORDS
        from exporter.formats.pdf.speedups.tuning import LINE_CACHE, SUBSET_CACHE
        tuning.COMPRESSION_LEVEL = 9  # pydyf's own level for this render
        kept, subsets, records = len(LINE_CACHE), len(SUBSET_CACHE), len(RECORDS)
        buffer = io.BytesIO()
        pdf.render(doc, buffer)  # every line from the line cache, every font subset kept
        info[f"{name} lines kept, added on the second render"] = [kept, len(LINE_CACHE) - kept]
        info[f"{name} subsets kept, added on the second render"] = [subsets, len(SUBSET_CACHE) - subsets]
        info[f"{name} drawn lines kept, added on the second render"] = [records, len(RECORDS) - records]
        tuning.COMPRESSION_LEVEL = 6
        (out / f"{name}-tuned9.pdf").write_bytes(buffer.getvalue())
from exporter.formats.pdf.speedups import tuning
from exporter.formats.pdf.speedups.imports import patched_modules
info["during"] = seen_during[0]
info["after"] = state()
info["tuning patches"] = len(tuning._patches)
info["patched"] = patched_modules()
info["modules"] = sorted(m for m in ("pycparser", "fontTools.varLib.instancer") if m in sys.modules)
info["lazy_ua"] = "_lazy_arguments" in sys.modules["weasyprint"].UA_STYLESHEET.__dict__
print(json.dumps(info))
"""


def _render(mode: str, out, frus_path, env: dict | None = None) -> dict:
    import json
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "EXPORTER_PDF_SPEEDUPS"}
    result = subprocess.run([sys.executable, "-c", _RENDER_SCRIPT, mode, str(out), str(frus_path)],
                            capture_output=True, text=True, timeout=300, env={**environment, **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def renders(tmp_path_factory, frus_path):
    """``renders(mode)`` -> (what the script saw, the folder of its PDFs); each mode rendered once."""
    folder = tmp_path_factory.mktemp("renders")
    done: dict[str, dict] = {}

    def get(mode: str):
        if mode not in done:
            env = {"EXPORTER_PDF_SPEEDUPS": "0"} if mode == "off" else None
            done[mode] = _render(mode, folder, frus_path, env)
        return done[mode], folder

    return get


def _titles(outline) -> list:
    return [_titles(o) if isinstance(o, list) else str(o.title) for o in outline]


def test_tuned_weasyprint_writes_the_same_pdf(renders):
    from pypdf import PdfReader

    plain, tmp_path = renders("plain")
    tuned, _ = renders("tuned")
    assert plain["patched"] == []
    # Active while the format renders, gone before and after: weasyprint is stock for anyone else.
    assert tuned["during"] == {"stock missing": False, "stock split_first_line": False, "stock zlib": False,
                               "stock gc": False}
    assert all(tuned["after"].values()) and tuned["tuning patches"] == 23, tuned["after"]
    # The replaced sources were really used, and what they avoid was not imported.
    assert tuned["patched"] == ["weasyprint.text.ffi", "weasyprint.html"]
    assert tuned["modules"] == [] and tuned["lazy_ua"] is True
    # The second render of each selection (at level 9) took every line, every drawn line's glyphs
    # and every font subset from the caches.
    for name in ("sample-10", "sample-both", "frus", "hostile"):
        kept, added = tuned[f"{name} lines kept, added on the second render"]
        assert kept > 100 and added == 0, name
        kept, added = tuned[f"{name} drawn lines kept, added on the second render"]
        assert kept > 50 and added == 0, name
        kept, added = tuned[f"{name} subsets kept, added on the second render"]
        assert kept >= 2 and added == 0, name
    for name in ("sample-10", "sample-both", "frus", "hostile"):
        reference = (tmp_path / f"{name}-plain.pdf").read_bytes()
        assert (tmp_path / f"{name}-tuned9.pdf").read_bytes() == reference, name
        ours = tmp_path / f"{name}-tuned.pdf"
        a, b = PdfReader(tmp_path / f"{name}-plain.pdf"), PdfReader(ours)
        assert len(a.pages) == len(b.pages) > 0
        for page_a, page_b in zip(a.pages, b.pages):
            assert page_a.get_contents().get_data() == page_b.get_contents().get_data()
            assert page_a.extract_text() == page_b.extract_text()
        assert _titles(a.outline) == _titles(b.outline) != []
        assert ours.stat().st_size < 1.05 * len(reference)


def _same_document(a_path, b_path) -> None:
    """Two PDFs of the same export read the same: pages, text, outline, annotations."""
    from pypdf import PdfReader

    a, b = PdfReader(a_path), PdfReader(b_path)
    assert len(a.pages) == len(b.pages) > 0
    for page_a, page_b in zip(a.pages, b.pages):
        assert page_a.extract_text() == page_b.extract_text()
        annots = [[str(x.get_object().get("/Contents")) for x in (p.get("/Annots") or [])] for p in (page_a, page_b)]
        assert annots[0] == annots[1]
    assert _titles(a.outline) == _titles(b.outline) != []


@pytest.mark.parametrize("mode", ["other", "off"])
def test_other_weasyprint_release_or_switch_off_runs_plain_weasyprint(renders, mode):
    """weasyprint 70.1 (simulated: the gate is exact, not per series) and EXPORTER_PDF_SPEEDUPS=0
    run weasyprint exactly as installed -- no replaced sources, no patched function, pydyf's own
    compression, the collector untouched, during the render too -- and the PDFs are correct: the
    same pages, text, outline and annotations as with the speed-ups."""
    seen, tmp_path = renders(mode)
    renders("plain")
    assert seen["patched"] == [] and "pycparser" in seen["modules"]  # weasyprint's own cffi declarations
    assert seen["lazy_ua"] is False and seen["tuning patches"] == 0
    assert all(seen["during"].values()) and all(seen["after"].values()), seen
    for name in ("sample-10", "sample-both", "frus", "hostile"):
        _same_document(tmp_path / f"{name}-plain.pdf", tmp_path / f"{name}-{mode}.pdf")


def test_switch_off_and_other_release_write_the_same_bytes(renders):
    """Both roads lead to the same plain weasyprint: byte-identical PDFs."""
    _, tmp_path = renders("off")
    renders("other")
    for name in ("sample-10", "sample-both", "frus", "hostile"):
        assert (tmp_path / f"{name}-off.pdf").read_bytes() == (tmp_path / f"{name}-other.pdf").read_bytes(), name


def test_other_pydyf_release_keeps_pydyfs_compression(renders):
    """pydyf 0.12.0 (simulated): the weasyprint speed-ups stay, the compression level does not --
    the PDF is byte for byte plain weasyprint's."""
    seen, tmp_path = renders("pydyf-other")
    renders("plain")
    assert seen["during"]["stock zlib"] is True and seen["during"]["stock missing"] is False
    for name in ("sample-10", "sample-both", "frus", "hostile"):
        assert (tmp_path / f"{name}-pydyf-other.pdf").read_bytes() == (tmp_path / f"{name}-plain.pdf").read_bytes()


def test_gate_is_exact_and_the_switch_reads_off_values(monkeypatch):
    from exporter.formats.pdf import speedups

    monkeypatch.delenv("EXPORTER_PDF_SPEEDUPS", raising=False)
    assert speedups.supported(speedups.WEASYPRINT_VERSION)
    for other in ("70.1", "70", "70.0.1", "71.0", "69.0", ""):
        assert not speedups.supported(other), other
    assert speedups.pydyf_supported(speedups.PYDYF_VERSION) and not speedups.pydyf_supported("0.13.1")
    for off in ("0", "off", "FALSE", " no "):
        monkeypatch.setenv("EXPORTER_PDF_SPEEDUPS", off)
        assert not speedups.supported(speedups.WEASYPRINT_VERSION) and not speedups.installed_supported()
    monkeypatch.setenv("EXPORTER_PDF_SPEEDUPS", "1")
    assert speedups.supported(speedups.WEASYPRINT_VERSION)


def test_scope_left_as_it_was_after_an_interrupted_render(engine, tmp_path):
    """A render that ends in an exception (a time-out is one) leaves weasyprint, pydyf and the
    collector as they were; an application's own weasyprint document is stock afterwards."""
    import gc
    import zlib

    import pydyf
    import weasyprint.css as css

    from exporter.formats.pdf.speedups import tuning
    from exporter.formats.pdf.speedups.imports import import_weasyprint

    weasyprint = import_weasyprint()
    tuning.deactivate()  # in case a test before made them active for good
    stock_missing, threshold = css.ComputedStyle.__missing__, gc.get_threshold()

    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        with tuning.render_scope() as on:
            assert on and tuning.active() and pydyf.zlib is not zlib
            assert gc.get_threshold()[0] == tuning.RENDER_GC_THRESHOLD
            raise Stop
    assert css.ComputedStyle.__missing__ is stock_missing and pydyf.zlib is zlib
    assert gc.get_threshold() == threshold and not tuning.active()
    # the leaving is retried when interrupted: the first interruption is raised afterwards
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tuning._surely(flaky)
    assert len(calls) == 2
    own = weasyprint.HTML(string="<p>own document</p>").write_pdf()
    assert own.startswith(b"%PDF") and css.ComputedStyle.__missing__ is stock_missing


def test_fonttools_instancer_loads_on_first_use():
    """The stand-in for ``fontTools.varLib.instancer`` lives only while weasyprint is imported;
    weasyprint's name for the function imports the real module when called."""
    import subprocess
    import sys

    script = r"""
import sys
from exporter.formats.pdf.speedups.imports import import_weasyprint, instantiate_variable_font
weasyprint = import_weasyprint()
import weasyprint.pdf.fonts as fonts
assert fonts.instantiateVariableFont is instantiate_variable_font
assert "fontTools.varLib.instancer" not in sys.modules
try:
    fonts.instantiateVariableFont(None, {})
except Exception:
    pass
from fontTools.varLib import instancer
assert sys.modules["fontTools.varLib.instancer"] is instancer
assert instancer.instantiateVariableFont is not instantiate_variable_font
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_generated_ffi_declarations_match_installed_weasyprint():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "gen_weasyprint_ffi.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_weasyprint_after_the_tuned_import_keeps_its_stylesheets(tmp_path):
    """Another user of weasyprint in the same process still gets its user-agent stylesheet and
    counter styles (parsed on first use instead of at import)."""
    import subprocess
    import sys

    script = r"""
import sys
from exporter.formats.pdf.speedups.imports import import_weasyprint
weasyprint = import_weasyprint()
assert "_lazy_arguments" in weasyprint.UA_STYLESHEET.__dict__
weasyprint.HTML(string="<ol><li>one</li><li>two</li></ol><h1 hidden>gone</h1>").write_pdf(sys.argv[1])
assert "_lazy_arguments" not in weasyprint.UA_STYLESHEET.__dict__
"""
    out = tmp_path / "plain.pdf"
    result = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "1. one" in text and "2. two" in text and "gone" not in text


def test_fast_glyph_drawing_matches_weasyprints_own(engine):
    """Glyphs no font has (.notdef), emoji, combining marks and right-to-left text: the faster
    drawing writes exactly what weasyprint's own does, or hands the line to it."""
    from datetime import datetime

    from exporter.engine import ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf.speedups import draw as pdf_draw
    from exporter.formats.pdf.speedups import tuning as pdf_tuning
    from exporter.model import Annotation

    request = ExportRequest(format="pdf", accept_terms=True, entries="kd1-1918-03-03a", layer="both",
                            user="irina", annotations="visible")
    doc = engine.assemble(request, engine.plugins.formats.get("pdf"))
    doc.exported_at = datetime(2026, 1, 2, tzinfo=UTC)
    assert doc.annotations and isinstance(doc.annotations[0], Annotation)
    doc.annotations[0].body = ("\U0001F600 \U0010FFFD e\u0301\u0327 \u05e9\u05dc\u05d5\u05dd "
                               "\u0627\u0644\u0633\u0644\u0627\u0645 x\u00adx")
    pdf.render(doc, io.BytesIO())  # builds the speed-ups
    pdf_tuning.install()  # active outside a render too, until uninstall
    try:
        fast, slow = io.BytesIO(), io.BytesIO()
        pdf._render(doc, fast)
        pdf_draw.uninstall()
        import weasyprint.draw.text as text

        assert text.draw_first_line is not pdf_draw.draw_first_line
        pdf._render(doc, slow)  # weasyprint's own drawing, the other speed-ups unchanged
    finally:
        pdf_tuning.uninstall()
    assert fast.getvalue() == slow.getvalue()


#: Properties the project's own stylesheet leaves alone, for the style look-up test.
_DECORATED = """<html><head><style>
p { text-decoration: underline wavy red; border-top: 1px solid; outline: 2px dotted blue; float: left; }
em { text-decoration-line: line-through; position: relative; display: inline-block; page: wide; }
b { border-block-start-width: 3px; border-block-start-style: solid; margin-inline-start: 2em; --x: 1px; }
div { direction: rtl; padding-inline-end: 3px; border-start-end-radius: 4px; inline-size: 50%;
      margin-left: var(--x); overflow: hidden; }
span { width: inherit; border-top-style: initial; counter-increment: n; opacity: .5; vertical-align: top;
       max-block-size: 3em; }
i { margin: inherit; padding-block-start: initial; anchor: attr(id); }
</style></head><body><p>a <em>b <b>c</b></em> d</p><div><span>e</span><i id=x>f</i></div></body></html>"""


def _computed_styles(doc) -> list:
    """Every element's and pseudo-element's computed style of one tuned render of ``doc`` (or of
    the HTML page ``doc``)."""
    import weasyprint.document as document

    from exporter.formats import pdf
    from exporter.formats.pdf.fetcher import make_fetcher

    contexts = []
    build = document.Document._build_layout_context.__func__

    def keep(cls, *args, **kwargs):
        contexts.append(build(cls, *args, **kwargs))
        return contexts[-1]

    document.Document._build_layout_context = classmethod(keep)
    try:
        if isinstance(doc, str):
            pdf._html_document(doc, make_fetcher()).render()
        else:
            pdf.render(doc, io.BytesIO())
    finally:
        document.Document._build_layout_context = classmethod(build)
    return [s for s in contexts[0].style_for._computed_styles.values() if s is not None]


@pytest.mark.parametrize("selection", ["sample", "frus", "decorated"])
def test_fast_style_lookup_computes_what_weasyprint_computes(engine, frus_path, selection):
    """Every property of every element and of an anonymous box inside it: the faster
    computed-style look-ups, and the initial values a style is made with, give weasyprint's own
    values, and record the same specified values (position, float, display)."""
    import weasyprint.css as css
    from weasyprint.css.properties import INITIAL_VALUES

    from exporter.engine import ExportRequest
    from exporter.formats.pdf.speedups import tuning as pdf_tuning

    if selection == "decorated":
        from exporter.formats.pdf.speedups.imports import import_weasyprint

        import_weasyprint()
        pdf_tuning.install()
        styles = _computed_styles(_DECORATED)
    else:
        request = (ExportRequest(format="pdf", accept_terms=True, range="kd1-1918-02-22..kd1-1918-03-14",
                                 layer="both", user="irina", annotations="visible") if selection == "sample"
                   else ExportRequest(format="pdf", accept_terms=True, entries="d1,d2,d3,d4,d5",
                                      corpus=str(frus_path)))
        styles = _computed_styles(engine.assemble(request, engine.plugins.formats.get("pdf")))
        pdf_tuning.install()  # the render's speed-ups are put away after it: compare them here
    assert pdf_tuning._installed.get("missing") is not None
    original = pdf_tuning._installed["missing"]
    assert css.ComputedStyle.__missing__ is not original

    computed_init, anonymous_init = pdf_tuning._installed["initial_values"]
    assert css.ComputedStyle.__init__ is not computed_init

    class Plain(css.ComputedStyle):
        __init__ = computed_init
        __missing__ = original

    class PlainAnonymous(css.AnonymousStyle):
        __init__ = anonymous_init
        __missing__ = pdf_tuning._installed["anonymous_missing"]

    # Fresh styles from the same cascaded values (the render changes some computed ones later).
    def family(cls):
        made: dict[int, css.ComputedStyle] = {}

        def make(style):
            if style is None:
                return None
            if id(style) not in made:
                made[id(style)] = cls(make(style.parent_style), style.cascaded, style.pseudo_type,
                                      style.root_style, style.base_url, style.font_config,
                                      style.initial_page_sizes)
            return made[id(style)]
        return make

    fast_twin, plain_twin = family(css.ComputedStyle), family(Plain)
    keys = sorted(INITIAL_VALUES)
    compared = 0
    for style in styles:
        fast, plain = fast_twin(style), plain_twin(style)
        for key in keys + sorted(k for k in style.cascaded if k[:2] == "__"):
            assert fast[key] == plain[key], (style.pseudo_type, key)
            compared += 1
        assert fast.specified == plain.specified
        fast_anonymous, plain_anonymous = css.AnonymousStyle(fast), PlainAnonymous(plain)
        for key in keys:
            try:
                expected = plain_anonymous[key]
            except KeyError:  # logical properties (border-block-end-width): never asked
                with pytest.raises(KeyError):
                    fast_anonymous[key]
                continue
            assert fast_anonymous[key] == expected, ("anonymous", key)
    assert compared >= len(styles) * len(keys) and len(styles) > (5 if selection == "decorated" else 100)


def test_initial_values_given_at_once_are_plain_initial_values():
    """Each property a style is made with is one weasyprint gives its initial value, as it is,
    when no rule sets it (not inherited, propagated, recorded or computed from others)."""
    from exporter.formats.pdf.speedups.tuning import INITIAL_AT_ONCE, initial_at_once_kind

    assert len(set(INITIAL_AT_ONCE)) == len(INITIAL_AT_ONCE) > 40
    assert [key for key in INITIAL_AT_ONCE if not initial_at_once_kind(key)] == []
    assert not initial_at_once_kind("color") and not initial_at_once_kind("float")
    assert not initial_at_once_kind("border_top_width") and not initial_at_once_kind("text_decoration_line")


#: Lengths the project's own stylesheet leaves alone, for the percentages test.
_SIZED = """<html><head><style>
@page { size: 300px 400px; margin: 5%; }
div { width: 50%; padding: 2% 3px calc(1em + 2%) 4%; margin: auto 10% 1em; box-sizing: border-box;
      border: 2px solid; min-width: 10%; max-width: calc(100% - 10px); min-height: 5px; }
p { height: 20%; max-height: none; box-sizing: padding-box; float: left; width: calc(30% + 1em); }
table { border-collapse: collapse; width: 80%; } td { border: 3px solid; padding: 5%; height: 2em; }
span { display: inline-block; width: 25%; margin: 0 5%; }
</style></head><body><div>a <span>b</span><p>c</p></div>
<table><tr><td>d</td><td style="width: 30%">e</td></tr></table></body></html>"""


@pytest.mark.parametrize("selection", ["frus", "sized"])
def test_fast_percentages_set_what_weasyprint_sets(engine, frus_path, monkeypatch, selection):
    """Every ``resolve_percentages`` call of a layout, made on a twin of the box with the faster
    function: the box gets the same used values (calc(), percentages, auto, box-sizing, pages,
    collapsed table borders)."""
    import weasyprint.layout.percent as percent
    from weasyprint.formatting_structure import boxes

    from exporter.engine import ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf.fetcher import make_fetcher
    from exporter.formats.pdf.speedups import tuning as pdf_tuning
    from exporter.formats.pdf.speedups.percent import make

    pdf_tuning.uninstall()  # weasyprint's own layout around the calls (an earlier test built ours)
    monkeypatch.setenv("EXPORTER_PDF_SPEEDUPS", "0")
    fast, original = make(percent, boxes), percent.resolve_percentages
    seen = {"calls": 0, "pages": 0, "percent": 0}

    def both(box, containing_block):
        twin = box.copy()
        fast(twin, containing_block)
        original(box, containing_block)
        assert twin.__dict__ == box.__dict__, type(box).__name__
        seen["calls"] += 1
        seen["pages"] += isinstance(box, boxes.PageBox)
        seen["percent"] += any(getattr(box.style[k], "unit", None) == "%" for k in ("width", "padding_left"))

    for module in pdf_tuning._percent_users():
        monkeypatch.setattr(module, "resolve_percentages", both)
    if selection == "sized":
        pdf._html_document(_SIZED, make_fetcher()).render().write_pdf()
    else:
        request = ExportRequest(format="pdf", accept_terms=True, entries="d1,d2,d3", corpus=str(frus_path))
        pdf.render(engine.assemble(request, engine.plugins.formats.get("pdf")), io.BytesIO())
    assert seen["calls"] > 20 and seen["pages"] >= 1
    assert seen["percent"] > (3 if selection == "sized" else -1)


_PAINTED = """<html><head><style>
@page { background: #eee; }
div { border-radius: 10%; background: yellow; } span { background: currentcolor; color: red; }
p { visibility: hidden; background: blue; } em { box-shadow: 1px 1px red; } b { border-radius: 0 4px; }
i { background-image: linear-gradient(red, blue); } q { background-color: rgba(0, 0, 0, 0); }
</style></head><body><div>a <span>b</span></div><p>c <em>d</em></p><b>e</b> <i>f</i> <q>g</q>
<section>h <small>i</small></section></body></html>"""


def _backgrounds(pages) -> list:
    names = ("border_top_left_radius", "border_top_right_radius", "border_bottom_right_radius",
             "border_bottom_left_radius")

    def painted(box) -> str:  # the background without its style (which records what was read)
        found = getattr(box, "background", None)
        import re

        return "None" if found is None else re.sub(r" at 0x[0-9a-f]+", "", repr((found.color, found.layers)))

    return [(type(box).__name__, box.element_tag, [painted(box)] + [repr(getattr(box, n, None)) for n in names])
            for page in pages for box in page._page_box.descendants()]


def test_plain_box_backgrounds_are_laid_out_as_weasyprint_does(monkeypatch):
    """Boxes with radii, colours (currentcolor, transparent), gradients, shadows and hidden
    ones, beside boxes that paint nothing: the faster background layout leaves every box with
    weasyprint's own background and radii."""
    import weasyprint.layout.background as background

    from exporter.formats import pdf
    from exporter.formats.pdf.fetcher import make_fetcher
    from exporter.formats.pdf.speedups import tuning as pdf_tuning
    from exporter.formats.pdf.speedups.backgrounds import make

    pdf_tuning.uninstall()
    monkeypatch.setenv("EXPORTER_PDF_SPEEDUPS", "0")
    stock = _backgrounds(pdf._html_document(_PAINTED, make_fetcher()).render().pages)
    monkeypatch.setattr(background, "layout_box_backgrounds", make(background.layout_box_backgrounds))
    fast = _backgrounds(pdf._html_document(_PAINTED, make_fetcher()).render().pages)
    assert fast == stock
    painted = {tag for _, tag, values in stock if values[0] != "None"}
    assert {"div", "span", "em", "i"} <= painted and not painted & {"p", "q", "small", "b"}
    assert any(tag == "b" and values[2] != "(0, 0)" for _, tag, values in stock)


def test_line_cache_key_holds_every_style_value_read(engine, frus_path, monkeypatch):
    """The line cache is keyed by every style value weasyprint's line breaking reads: its own
    function is run on styles that record each value asked for, over the sample (both layers,
    hostile annotation text with a tab and a soft hyphen), FRUS and a page with decorations,
    spacing and hyphenation."""
    from datetime import datetime

    import weasyprint.layout.inline as inline
    import weasyprint.layout.preferred as preferred

    from exporter.engine import ExportRequest
    from exporter.formats import pdf
    from exporter.formats.pdf.fetcher import make_fetcher
    from exporter.formats.pdf.speedups import tuning as pdf_tuning

    fmt = engine.plugins.formats.get("pdf")
    sample = engine.assemble(ExportRequest(format="pdf", accept_terms=True, layer="both", user="irina",
                                           range="kd1-1918-02-22..kd1-1918-03-14", annotations="visible"), fmt)
    sample.annotations[0].body = "tab\there, soft\u00adhyphen, \u05e9\u05dc\u05d5\u05dd " + "w" * 300
    frus = engine.assemble(ExportRequest(format="pdf", accept_terms=True, entries="d1,d2,d3",
                                         corpus=str(frus_path)), fmt)
    for doc in (sample, frus):
        doc.exported_at = datetime(2026, 1, 2, tzinfo=UTC)
    pdf.render(frus, io.BytesIO())  # installs the speed-ups
    original = pdf_tuning._installed["split_first_line"]
    read: set[str] = set()

    class Recording(dict):
        def __init__(self, style):
            super().__init__()
            self.style, self.font_config = style, style.font_config

        def __getitem__(self, key):
            read.add(key)
            return self.style[key]

        def get(self, key, default=None):
            read.add(key)
            return self.style.get(key, default)

        def __contains__(self, key):
            read.add(key)
            return key in self.style

    def recording(text, style, *args, **kwargs):
        return original(text, Recording(style), *args, **kwargs)

    monkeypatch.setattr(inline, "split_first_line", recording)
    monkeypatch.setattr(preferred, "split_first_line", recording)
    decorated = _DECORATED.replace("</style>", "p { letter-spacing: 0.1em; word-spacing: 2px; hyphens: auto; "
                                   "tab-size: 3; font-variant: small-caps; font-kerning: none; } </style>"
                                   ).replace("a <em>", "a\tlong hyphenation candidate " * 20 + "<em>")
    for doc in (sample, frus):
        pdf._render(doc, io.BytesIO())
    pdf._html_document(decorated, make_fetcher()).render().write_pdf()
    assert {"font_size", "font_family", "white_space", "letter_spacing", "word_spacing", "hyphens",
            "tab_size", "text_decoration_line"} <= read
    assert read <= set(pdf_tuning.LINE_STYLE_KEYS), read - set(pdf_tuning.LINE_STYLE_KEYS)


def test_kept_deflate_writes_zlibs_bytes():
    """pydyf's stream compressor in a render: zlib's own bytes, the first time and from what was
    kept, for one compress call or several, and with a non-final flush."""
    import os
    import zlib

    from exporter.formats.pdf.speedups.tuning import DEFLATED, _KeptDeflate

    DEFLATED.clear()
    for data in (b"", b"abc" * 5000, os.urandom(70000) + b"x" * 30000):
        reference = zlib.compressobj(6)
        expected = reference.compress(data) + reference.flush()
        for _ in range(2):  # deflated, then taken from DEFLATED
            kept = _KeptDeflate(6)
            assert kept.compress(data) + kept.flush() == expected
        assert DEFLATED[(6, data)] == expected
        kept = _KeptDeflate(6)
        assert kept.compress(data[:7]) + kept.compress(data[7:]) + kept.flush() == expected
        reference, kept = zlib.compressobj(6), _KeptDeflate(6)
        expected = reference.compress(data) + reference.flush(zlib.Z_SYNC_FLUSH) + reference.flush()
        assert kept.compress(data) + kept.flush(zlib.Z_SYNC_FLUSH) + kept.flush() == expected
    DEFLATED.clear()
