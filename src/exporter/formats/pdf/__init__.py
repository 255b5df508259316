"""``pdf``: the selected entries laid out for paper with weasyprint (see ``docs/pdf.md``).

The pipeline, per render:

1. build the HTML from the model (:mod:`.html`, template ``templates/pdf.html.j2``);
2. lay it out with weasyprint, with the print stylesheet ``styles/pdf.css`` and fonts parsed
   once per process, and a fetcher that loads nothing but bundled assets and ``data:`` URIs
   (:mod:`.fetcher`);
3. check on the laid-out pages that every footnote sits at the foot of the page that calls it or
   the next (:mod:`.notes`); an entry with a lost or misplaced note is laid out again with
   endnotes, until no note is lost -- a PDF with a lost note is never written;
4. write the PDF (``--pdf-variant`` passed on) and add the readers' annotations as real PDF
   annotations (:mod:`.annots`, added to weasyprint's PDF objects while it writes).

weasyprint is imported through :mod:`.speedups.imports` (half the import time) and runs with the
speed-ups of :mod:`.speedups.tuning` (faster text drawing and style lookups, line-breaking results
and font subsets kept across renders, zlib level 6, fewer garbage collections during a render).

Heavy libraries are imported inside functions: ``exporter formats`` must not load a renderer.
"""

from __future__ import annotations

import threading
from typing import Any, BinaryIO

from ... import hookimpl
from ...errors import RenderError, UsageError
from ...model import Document
from ...registry import Format, Option, RenderInfo
from .speedups import supported

PAPER_SIZES = {"a4": "A4", "letter": "letter"}
#: Most layout passes for one export: the footnote fallback moves at least one more entry to
#: endnotes on each extra pass, and the last pass puts every entry's notes there.
MAX_PASSES = 4

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def _resources(paper: str) -> tuple[Any, list[Any]]:
    """Font configuration and parsed stylesheets, built once per process (and paper size)."""
    with _lock:
        if "fonts" not in _cache:
            from weasyprint.text.fonts import FontConfiguration

            _cache["fonts"] = FontConfiguration()
        key = f"css-{paper}"
        if key not in _cache:
            from weasyprint import CSS

            from ...assets import STYLES_DIR, read_style
            from .fetcher import make_fetcher

            fetcher = make_fetcher()
            base = CSS(string=read_style("pdf.css"), base_url=(STYLES_DIR / "pdf.css").resolve().as_uri(),
                       url_fetcher=fetcher, font_config=_cache["fonts"])
            size = CSS(string=f"@page {{ size: {PAPER_SIZES[paper]}; }}", url_fetcher=fetcher,
                       font_config=_cache["fonts"])
            _cache[key] = [base, size]
        return _cache["fonts"], _cache[key]


def pdf_variants() -> list[str]:
    """The PDF variants weasyprint can write (``pdf/a-3b``, ``pdf/ua-1``, ...), sorted."""
    from .speedups.imports import import_weasyprint

    import_weasyprint()  # through the faster import, which a later render expects to find
    from weasyprint.pdf import VARIANTS

    return sorted(v for v in VARIANTS if v != "debug")


def _variant(doc: Document) -> str | None:
    variant = doc.options.get("pdf_variant")
    if not variant:
        return None
    name = str(variant).strip().lower()
    if name not in pdf_variants():
        raise UsageError(f"--pdf-variant {variant!r}: unknown; known values: {', '.join(pdf_variants())}")
    return name


def _layout(doc: Document, endnotes: set[int], paper: str) -> tuple[Any, dict[int, str], list[str]]:
    """One layout pass: (weasyprint document, ``id(note) -> dom id``, URLs the fetcher refused).

    ``endnotes``: indexes of the entries whose notes are printed after the entry.
    """
    from .fetcher import make_fetcher
    from .html import build_html

    note_dom: dict[int, str] = {}
    html = build_html(doc, endnotes, note_dom)
    fonts, stylesheets = _resources(paper)
    fetcher = make_fetcher()
    rendered = _html_document(html, fetcher).render(stylesheets=stylesheets, font_config=fonts)
    return rendered, note_dom, fetcher.refused


def _html_class() -> Any:
    """weasyprint's ``HTML`` laid out with our user-agent stylesheet (:mod:`.ua`).

    Only for the weasyprint series that stylesheet was taken from; any other gets its own.
    """
    with _lock:
        if "html" not in _cache:
            import weasyprint
            from weasyprint import CSS, HTML

            if not supported(weasyprint.__version__):
                _cache["html"] = HTML
            else:
                from weasyprint.css.counters import CounterStyle

                from .ua import UA_CSS

                counters = CounterStyle()
                sheet = CSS(string=UA_CSS, counter_style=counters)

                class PrintHTML(HTML):
                    def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
                        return [sheet]

                    def _ua_counter_style(self) -> list[Any]:
                        return [counters.copy()]

                _cache["html"] = PrintHTML
        return _cache["html"]


def _html_document(html: str, fetcher: Any) -> Any:
    """weasyprint's ``HTML`` for our generated page.

    The template writes well-formed XML, which the C XML parser reads several times faster
    than weasyprint's pure-Python HTML5 parser builds the same element tree.  Anything it cannot
    read (a control character, unbalanced citation markup) goes through the HTML5 parser, as
    does every weasyprint other than the 70 series this shortcut was written against.
    """
    import xml.etree.ElementTree as ET

    import weasyprint

    HTML = _html_class()
    # base_url is a URL nothing may be fetched relative to: relative references are refused too.
    if supported(weasyprint.__version__):
        try:
            root = ET.fromstring(html)
        except ET.ParseError:
            root = None
        if root is not None and root.tag == "html" and not any(True for _ in root.iter("base")):
            import cssselect2

            document = HTML.__new__(HTML)
            document.base_url = "about:blank"
            document.url_fetcher = fetcher
            document.media_type = "print"
            document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            document.etree_element = document.wrapper_element.etree_element
            return document
    return HTML(string=html, base_url="about:blank", url_fetcher=fetcher)


def _footnote_ids(doc: Document, endnotes: set[int], note_dom: dict[int, str]) -> dict[int, list[str]]:
    """Entry index -> dom ids of the notes it prints as footnotes."""
    return {i: [note_dom[id(n)] for n in e.notes if id(n) in note_dom]
            for i, e in enumerate(doc.entries) if i not in endnotes}


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Render ``doc`` as PDF into ``out``; report the rendered page count and warnings."""
    from .speedups import tuning
    from .speedups.imports import import_weasyprint

    import_weasyprint()
    tuning.install()
    with tuning.fewer_collections():
        return _render(doc, out)


def _render(doc: Document, out: BinaryIO) -> RenderInfo:
    from .annots import annotation_finisher, find_placements
    from .notes import anchor_pages, check_footnotes

    paper = (doc.options.get("paper") or "a4").lower()
    if paper not in PAPER_SIZES:
        raise UsageError(f"--paper {paper!r}: expected a4 or letter")
    variant = _variant(doc)
    warnings: list[str] = []
    endnotes: set[int] = set()
    for attempt in range(1, MAX_PASSES + 1):
        if attempt == MAX_PASSES:
            endnotes = set(range(len(doc.entries)))
        rendered, note_dom, refused = _layout(doc, endnotes, paper)
        per_entry = _footnote_ids(doc, endnotes, note_dom)
        owner = {dom: i for i, doms in per_entry.items() for dom in doms}
        problems = check_footnotes(rendered.pages, owner)
        if not problems:
            break
        moved = sorted({owner[p.dom_id] for p in problems})
        for p in problems:
            warnings.append(f"pdf: {p.describe()}; entry {doc.entries[owner[p.dom_id]].id} "
                            "is printed with endnotes instead")
        endnotes.update(moved)
    else:  # pragma: no cover -- the last pass has no footnotes, so it cannot fail the check
        raise RenderError("pdf: could not place every editorial note; nothing was written")
    # Endnotes are ordinary text and cannot be dropped, but "never a lost note" is checked, not assumed.
    printed = anchor_pages(rendered.pages)
    lost = [e.id for i, e in enumerate(doc.entries) if i in endnotes
            for n in e.notes if f"note-{note_dom.get(id(n))}" not in printed]
    if lost:
        raise RenderError(f"pdf: editorial notes of entries {', '.join(dict.fromkeys(lost))} were not laid out; "
                          "nothing was written")
    for url in dict.fromkeys(refused):
        warnings.append(f"pdf: refused to load {url[:120]!r} (only bundled assets are loaded)")
    options: dict[str, Any] = {"pdf_variant": variant} if variant else {}
    if doc.annotations:
        options["finisher"] = annotation_finisher(rendered.pages, doc.annotations,
                                                  find_placements(rendered.pages), warnings)
    pdf = rendered.write_pdf(**options)
    out.write(pdf)
    return RenderInfo(rendered_pages=len(rendered.pages), warnings=warnings)


#: The options of the ``pdf`` format (``paper`` is the ``docx`` format's too).
OPTIONS = (
    Option("paper", help="paper size (default a4)", choices=tuple(PAPER_SIZES), default="a4"),
    Option("pdf_variant", help="PDF variant written by weasyprint, e.g. pdf/a-3b (archival), pdf/ua-1 (tagged)",
           choices=pdf_variants),
)


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="pdf", media_type="application/pdf", extension="pdf", render=render,
                    material=True, citations=True, options=OPTIONS,
                    description="Print PDF (weasyprint): footnotes, source pages, bookmarks, annotations"))
