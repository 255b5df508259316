"""The document body as WordprocessingML, written as text and parsed once.

Building the body element by element through python-docx costs several milliseconds per page;
writing the XML as escaped text and handing it to python-docx's own parser (so the elements get
python-docx's element classes) is an order of magnitude faster.  Everything textual passes
through :func:`esc`, so corpus and user text is always character data, never markup.

While writing, :class:`BodyWriter` collects what the other parts need:

* ``notes`` -- the editorial notes in order; footnote ``n`` (1-based) is ``notes[n - 1]``, and a
  ``w:footnoteReference w:id="n"`` run stands where the note is called;
* ``anchors`` -- for each annotation, the index (in document order among all ``w:r``
  elements of the body) of the first and the last text run inside its range.  The model's
  :class:`~exporter.model.AnnotationStart`/:class:`~exporter.model.AnnotationEnd` markers sit
  at exact character positions, so every range covers whole text runs; page markers and note
  references met inside a range stay inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...model import (
    Annotation,
    AnnotationEnd,
    AnnotationStart,
    Block,
    Document,
    Entry,
    Inline,
    Note,
    NoteRef,
    PageBreak,
    Text,
    Volume,
)
from .template import W_NS, word_lang

#: Model block kind -> paragraph style id.
BLOCK_STYLE = {
    "paragraph": "BodyText", "heading": "Heading4", "quote": "Quote", "item": "ListParagraph",
    "dateline": "Dateline", "closer": "Closing", "salute": "Salutation", "verse": "Verse",
    "label": "Label", "row": "BodyText",
}
LAYER_TITLES = {"translation": "Translation", "transcription": "Transcription", "text": "Text"}

# Defence in depth: the core already replaced these at load (exporter.textnorm), but a
# hand-built Document must not be able to produce an unreadable package either.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_RPR_ORDER = (("bold", "<w:b/><w:bCs/>"), ("italic", "<w:i/><w:iCs/>"), ("smallcaps", "<w:smallCaps/>"),
              ("underline", '<w:u w:val="single"/>'), ("sup", '<w:vertAlign w:val="superscript"/>'),
              ("sub", '<w:vertAlign w:val="subscript"/>'))
NOTE_REF_RUN = '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="%d"/></w:r>'


def esc(text: str) -> str:
    """``text`` as XML character data (also safe inside a double-quoted attribute)."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("\ufffd", text)
    return text.translate(_ESCAPE)


def t_elements(text: str) -> str:
    """``w:t`` content for ``text``: newlines become ``w:br``, tabs ``w:tab``."""
    if "\n" not in text and "\t" not in text:
        return f'<w:t xml:space="preserve">{esc(text)}</w:t>'
    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<w:tab/>")
            if piece:
                out.append(f'<w:t xml:space="preserve">{esc(piece)}</w:t>')
    return "".join(out)


_rpr_cache: dict[tuple[str | None, frozenset[str], str | None], str] = {}


def rpr(styles: frozenset[str], char_style: str | None = None, lang: str | None = None) -> str:
    """A ``w:rPr`` for the model's character styles (children in schema order)."""
    key = (char_style, styles, lang)
    found = _rpr_cache.get(key)
    if found is None:
        inner = (f'<w:rStyle w:val="{char_style}"/>' if char_style else "") + "".join(
            xml for name, xml in _RPR_ORDER if name in styles) + (
            f'<w:lang w:val="{esc(lang)}"/>' if lang else "")
        found = f"<w:rPr>{inner}</w:rPr>" if inner else ""
        _rpr_cache[key] = found
    return found


def paragraph(style: str, runs: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{runs}</w:p>'


def plain_run(text: str, char_style: str | None = None, styles: frozenset[str] = frozenset()) -> str:
    return f"<w:r>{rpr(styles, char_style)}{t_elements(text)}</w:r>"


def page_marker(label: str, space: bool = False) -> str:
    """The styled ``[p. 21]`` run; ``space`` adds a space inside it before following text."""
    return plain_run(f"[p. {label}]" + (" " if space else ""), "SourcePage")


@dataclass
class Anchor:
    """Where an annotation's comment range goes: first and last text run (body run indexes)."""

    annotation: Annotation
    first: int = -1
    last: int = -1


@dataclass
class BodyWriter:
    """Writes a :class:`Document` as the children of ``w:body``."""

    doc: Document
    default_lang: str | None = None
    parts: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    #: ``w:r`` elements written so far (the next run's index).
    runs: int = 0
    _open: dict[int, Anchor] = field(default_factory=dict)

    # -- inline content -------------------------------------------------------------------
    def inlines(self, items: list[Inline], lang: str | None = None) -> str:
        """Runs for a block's inline items, tracking notes and annotation ranges."""
        out: list[str] = []
        before = " "  # the character before the current item (a paragraph starts after a space)
        for pos, item in enumerate(items):
            if isinstance(item, Text):
                if not item.text:
                    continue
                before = item.text[-1]
                out.append(f"<w:r>{rpr(item.styles, None, lang)}{t_elements(item.text)}</w:r>")
                for anchor in self._open.values():
                    if anchor.first < 0:
                        anchor.first = self.runs
                    anchor.last = self.runs
                self.runs += 1
            elif isinstance(item, NoteRef):
                self.notes.append(item.note)
                out.append(NOTE_REF_RUN % len(self.notes))
                self.runs += 1
            elif isinstance(item, PageBreak):
                # "word [p. 21] word", but a break inside a word stays tight: "hyphen[p. 21]ated".
                out.append(page_marker(item.label, before.isspace() and _text_follows(items, pos + 1)))
                self.runs += 1
            elif isinstance(item, AnnotationStart):
                anchor = Anchor(item.annotation)
                self.anchors.append(anchor)
                self._open[id(item.annotation)] = anchor
            elif isinstance(item, AnnotationEnd):
                self._open.pop(id(item.annotation), None)
        return "".join(out)

    def para(self, style: str, items: list[Inline], lang: str | None = None, prefix: str = "") -> None:
        runs = prefix + self.inlines(items, lang)
        self.parts.append(paragraph(style, runs))

    def simple(self, style: str, text: str, char_style: str | None = None) -> None:
        """A paragraph of one plain run (titles, labels): not part of any annotation."""
        if text:
            self.parts.append(paragraph(style, plain_run(text, char_style)))
            self.runs += 1
        else:
            self.parts.append(paragraph(style, ""))

    # -- structure --------------------------------------------------------------------------
    def write(self) -> str:
        """The body content (without ``w:sectPr``) wrapped in one ``w:body`` element."""
        doc = self.doc
        self.simple("Title", doc.title)
        self.simple("Subtitle", subtitle(doc))
        volume: Volume | None = None
        for entry in doc.entries:
            if entry.volume is not volume:
                volume = entry.volume
                self.simple("Heading1", volume.title)
                details = volume_details(volume)
                if details:
                    self.simple("VolumeDetails", details)
            self.entry(entry)
        self.terms()
        return f'<w:body xmlns:w="{W_NS}">{"".join(self.parts)}</w:body>'

    def entry(self, entry: Entry) -> None:
        heading = entry.heading
        if not any(isinstance(i, Text) and i.text.strip() for i in heading):
            # No heading text in the source: use the title, keeping any notes the heading had.
            heading = [Text(entry.title or entry.local_id)] + [i for i in heading if isinstance(i, NoteRef)]
        self.para("Heading2", heading)
        self.metadata(entry)
        if entry.citation is not None:
            self.citation(entry)
        several = len(entry.layers) > 1
        for name, layer in entry.layers.items():
            if several:
                self.simple("Heading3", LAYER_TITLES.get(name, name.title()))
            lang = word_lang(layer.language)
            if lang == self.default_lang:
                lang = None
            for i, block in enumerate(layer.blocks):
                prefix = ""
                if i == 0 and layer.start_page and not _starts_with_page(block):
                    # The page in effect where the layer begins, so a quotation can be placed.
                    prefix = page_marker(layer.start_page, _text_follows(block.inlines, 0))
                    self.runs += 1
                self.para(BLOCK_STYLE.get(block.kind, "BodyText"), block.inlines, lang, prefix)
            # A range left open by page narrowing ends with its layer.
            self._open.clear()

    def metadata(self, entry: Entry) -> None:
        from ...view import metadata_rows

        rows = [("Identifier", entry.id)] + metadata_rows(entry)
        if entry.iri and entry.volume.base_url:
            rows.append(("URL", entry.iri))
        out = ['<w:tbl><w:tblPr><w:tblStyle w:val="EntryMetadata"/><w:tblW w:w="5000" w:type="pct"/>'
               '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
               ' w:noHBand="1" w:noVBand="1"/></w:tblPr>'
               '<w:tblGrid><w:gridCol w:w="2000"/><w:gridCol w:w="7600"/></w:tblGrid>']
        for label, value in rows:
            out.append(
                '<w:tr><w:tc><w:tcPr><w:tcW w:w="1050" w:type="pct"/></w:tcPr>'
                + paragraph("Metadata", plain_run(label, "MetadataLabel"))
                + '</w:tc><w:tc><w:tcPr><w:tcW w:w="3950" w:type="pct"/></w:tcPr>'
                + paragraph("Metadata", plain_run(value)) + "</w:tc></w:tr>")
            self.runs += 2
        out.append("</w:tbl>")
        self.parts.append("".join(out))

    def citation(self, entry: Entry) -> None:
        cite = entry.citation
        assert cite is not None
        runs = [plain_run("Cite as: ", "MetadataLabel")]
        pieces = html_pieces(cite.note_html) if cite.note_html else [(cite.note, frozenset())]
        runs.extend(plain_run(text, None, styles) for text, styles in pieces if text)
        self.runs += len(runs)
        self.parts.append(paragraph("Citation", "".join(runs)))

    def terms(self) -> None:
        seen: list[str] = []
        for volume in self.doc.volumes:
            if volume.terms and volume.terms not in seen:
                seen.append(volume.terms)
        if not seen:
            return
        self.simple("Heading1", "Terms of use")
        for text in seen:
            self.simple("Terms", text)


def _text_follows(items: list[Inline], start: int) -> bool:
    """Whether the next text after ``start`` begins with a non-space character."""
    for item in items[start:]:
        if isinstance(item, Text) and item.text:
            return not item.text[0].isspace()
        if isinstance(item, (NoteRef, PageBreak)):
            return False
    return False


def _starts_with_page(block: Block) -> bool:
    for item in block.inlines:
        if isinstance(item, PageBreak):
            return True
        if isinstance(item, Text) and item.text:
            return False
        if isinstance(item, NoteRef):
            return False
    return False


def subtitle(doc: Document) -> str:
    bits = [f"Selection: {doc.selection.describe()}", f"{doc.source_pages} source page(s)"]
    if doc.annotations_mode != "none" and doc.user:
        bits.append(f"annotations ({doc.annotations_mode}) for {doc.user_name or doc.user}")
    bits.append(f"exported {doc.exported_at:%Y-%m-%d %H:%M} UTC")
    return "; ".join(bits)


def volume_details(volume: Volume) -> str:
    bits = []
    if volume.editors:
        bits.append("Edited by " + ", ".join(p.display for p in volume.editors))
    pub = ", ".join(x for x in (volume.place, volume.publisher, volume.year) if x)
    if pub:
        bits.append(pub)
    if volume.series:
        number = volume.series_number or ""
        if number[:1].isdigit():
            number = f"vol. {number}"
        bits.append(", ".join(x for x in (volume.series, number) if x))
    return ". ".join(bits) + ("." if bits else "")


def html_pieces(html: str) -> list[tuple[str, frozenset[str]]]:
    """(text, styles) pieces of a formatted citation (CSL HTML: i/em, b/strong, sup, sub, small caps).

    Tags are read as formatting only; every other tag is dropped and entities are decoded, so
    nothing in the citation becomes markup in the document.
    """
    from html.parser import HTMLParser

    tag_style = {"i": "italic", "em": "italic", "b": "bold", "strong": "bold", "sup": "sup", "sub": "sub"}
    pieces: list[tuple[str, frozenset[str]]] = []
    stack: list[str | None] = []

    class _Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in {"br", "img", "hr", "wbr", "meta", "link"}:  # void: no end tag follows
                return
            style = tag_style.get(tag)
            if tag == "span":
                css = (dict(attrs).get("style") or "").replace(" ", "")
                style = "smallcaps" if "small-caps" in css else "italic" if "italic" in css else (
                    "bold" if "bold" in css else None)
            stack.append(style)

        def handle_endtag(self, tag: str) -> None:
            if stack and tag not in {"br", "img", "hr", "wbr", "meta", "link"}:
                stack.pop()

        def handle_data(self, data: str) -> None:
            pieces.append((data, frozenset(s for s in stack if s)))

    reader = _Reader(convert_charrefs=True)
    reader.feed(html)
    reader.close()
    return pieces
