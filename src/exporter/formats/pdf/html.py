"""The HTML the ``pdf`` format hands to weasyprint, built from the document model.

Everything from the corpus or from readers is escaped (autoescaping template, ``inline_html``),
and annotation fields additionally show invisible control characters (bidi overrides, zero-width
marks) as visible ``⟨U+202E⟩`` tokens, so a reader's text can neither become markup nor reorder
what follows it on the page.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from typing import Any, Iterable

from markupsafe import Markup

from ...model import Document, Entry, Note, PageBreak
from ...view import LAYER_TITLES, metadata_rows

#: Characters that change text direction or are invisible; shown as tokens in annotation fields.
CONTROL_RE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def visible_text(text: str) -> Markup:
    """Escaped ``text`` with direction/invisible controls shown as ``⟨U+XXXX⟩``."""
    out = []
    pos = 0
    for m in CONTROL_RE.finditer(text):
        out.append(escape(text[pos:m.start()], quote=False))
        out.append(f'<span class="ctl">⟨U+{ord(m.group()):04X}⟩</span>')
        pos = m.end()
    out.append(escape(text[pos:], quote=False))
    return Markup("".join(out))


def plain_attr(text: str, limit: int = 200) -> str:
    """A one-line, control-free value for attributes that end up in bookmarks and headers."""
    text = CONTROL_RE.sub("", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Sanitizer(HTMLParser):
    """Keeps the text of formatted citation HTML and only harmless inline tags, without attributes."""

    KEEP = {"i", "b", "em", "strong", "sup", "sub", "span", "small"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.KEEP:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.KEEP:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))


def safe_citation_html(html: str) -> Markup:
    """Citation HTML (from a CSL processor) reduced to text and simple inline formatting."""
    parser = _Sanitizer()
    parser.feed(html)
    parser.close()
    return Markup("".join(parser.out))


def bookmark_labels(entries: Iterable[Entry]) -> list[str]:
    """One readable, distinct bookmark label per entry.

    FRUS-like documents carry their number and date ("No. 101, 1918-03-05: The Ambassador …");
    diary entries are titled by their date, and same-day entries already read "3 March 1918 (1)".
    Any label that still repeats gets the entry id appended.
    """
    labels = []
    for e in entries:
        title = plain_attr(e.title or e.local_id, 150)
        if e.number:
            date = e.date.iso or "undated"
            label = f"No. {e.number}, {date}: {title}"
        elif e.date.iso and e.date.iso not in title and not any(ch.isdigit() for ch in title):
            label = f"{title} ({e.date.iso})"
        else:
            label = title
        labels.append(label)
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    return [f"{lab} [{e.local_id}]" if seen[lab] > 1 else lab for lab, e in zip(labels, entries)]


def _meta(doc: Document) -> dict[str, Any]:
    from ... import __version__

    authors: list[str] = []
    for e in doc.entries:
        for p in e.authors:
            if p.display and p.display not in authors:
                authors.append(p.display)
    if not authors:
        authors = [p.display for v in doc.volumes for p in v.editors if p.display]
    keywords: list[str] = []
    for word in ([e.kind or e.genre or "" for e in doc.entries] + [t for a in doc.annotations for t in a.tags]
                 + [e.local_id for e in doc.entries]):
        word = plain_attr(word.replace(",", " "), 80)
        if word and word not in keywords:
            keywords.append(word)
    vols = "; ".join(v.title for v in doc.volumes)
    subject = f"{vols} — {doc.selection.describe()}"
    if doc.user_name:
        subject += f"; exported by {doc.user_name}"
    return {
        "title": plain_attr(doc.title, 300),
        "authors": [plain_attr(a) for a in authors],
        "subject": plain_attr(subject, 500),
        "keywords": keywords,
        "created": doc.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": f"archive-exporter {__version__}",
    }


def terms_line(doc: Document) -> str:
    """The footer line: where from, for whom, when, under which terms."""
    vols = "; ".join(v.title for v in doc.volumes)
    who = f" for {doc.user_name}" if doc.user_name else ""
    return plain_attr(f"Exported from {vols}{who} on {doc.exported_at:%Y-%m-%d}; "
                      "subject to the archive's terms of use.", 400)


def document_language(doc: Document) -> str:
    """The language of what is printed: the first printed layer's, else the volume's."""
    for e in doc.entries:
        for layer in e.layers.values():
            if layer.language:
                return layer.language
    for v in doc.volumes:
        if v.languages:
            return v.languages[0]
    return "en"


def build_view(doc: Document, endnote_entries: set[int], note_dom: dict[int, str]) -> dict[str, Any]:
    """Template variables.  ``endnote_entries``: indexes of entries printed with endnotes;
    ``note_dom``: filled with ``id(note) -> dom id`` for every note (ids are per render, so notes of
    two volumes that share an ``xml:id`` stay apart)."""
    from ...view import inline_html

    def dom_id(note: Note) -> str:
        key = id(note)
        if key not in note_dom:
            note_dom[key] = f"n{len(note_dom) + 1}"
        return note_dom[key]

    lang = document_language(doc)
    labels = bookmark_labels(doc.entries)
    entries = []
    previous_volume = None
    for index, (e, label) in enumerate(zip(doc.entries, labels)):
        mode = "link" if index in endnote_entries else "footnote"
        layers = []
        for name, layer in e.layers.items():
            active: set[int] = set()
            blocks = [{"kind": re.sub(r"[^a-z-]", "", b.kind) or "paragraph",
                       "html": inline_html(b.inlines, mode, active, note_id=dom_id)} for b in layer.blocks]
            starts_with_break = bool(layer.blocks and layer.blocks[0].inlines
                                     and isinstance(layer.blocks[0].inlines[0], PageBreak))
            if blocks and layer.start_page and not starts_with_break:
                # The page the layer begins on (inherited from an earlier page break), so the
                # first lines can be cited too.
                blocks[0]["html"] = inline_html([PageBreak(layer.start_page)]) + blocks[0]["html"]
            layers.append({"name": name, "title": LAYER_TITLES.get(name, name.title()),
                           "lang": layer.language or e.language or lang, "blocks": blocks})
        heading = inline_html(e.heading, mode, note_id=dom_id)
        endnotes = []
        if mode == "link":
            endnotes = [{"dom": dom_id(n), "label": n.label, "html": inline_html(n.content)} for n in e.notes]
        citation = None
        if e.citation:
            citation = safe_citation_html(e.citation.note_html) if e.citation.note_html else e.citation.note
        anns = [{
            "number": a.number,
            "exact": visible_text(a.exact),
            "page": a.page,
            "body": visible_text(a.body),
            "author": visible_text(a.creator_name or a.creator),
            "created": (a.created or "")[:10],
            "visibility": a.visibility + (f" ({a.group})" if a.group else ""),
            "tags": visible_text(", ".join(a.tags)),
        } for a in e.annotations]
        entries.append({
            "entry": e,
            "dom": f"e{index + 1}",
            "volume_mark": plain_attr(e.volume.title) if e.volume is not previous_volume else None,
            "bookmark": label,
            "running": plain_attr(label, 90),
            "heading": heading,
            "meta": ([("Document", f"No. {e.number}")] if e.number else []) + metadata_rows(e),
            "citation": citation,
            "layers": layers,
            "endnotes": endnotes,
            "annotations": anns,
            "lang": layers[0]["lang"] if layers else lang,
        })
        previous_volume = e.volume
    terms = []
    for v in doc.volumes:
        if v.terms and v.terms not in terms:
            terms.append(v.terms)
    return {"doc": doc, "entries": entries, "terms": terms, "terms_line": terms_line(doc),
            "meta": _meta(doc), "lang": lang}


def build_html(doc: Document, endnote_entries: set[int], note_dom: dict[int, str]) -> str:
    """The complete HTML page for weasyprint."""
    from ...assets import jinja_env

    return jinja_env().get_template("pdf.html.j2").render(**build_view(doc, endnote_entries, note_dom))
