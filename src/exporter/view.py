"""What format writers share: the public view helpers for built-in and third-party formats.

A format renders the model (:mod:`exporter.model`); this module holds the few things every
writer of a reading copy presents the same way, so that the built-in formats and third-party
format plugins agree without importing each other:

* :data:`LAYER_TITLES` and :func:`metadata_rows` -- the labelled metadata block of an entry;
* :func:`inline_html` -- a block's inline items as escaped HTML (notes, page markers,
  annotation highlights);
* :data:`EXTENSION_CONTEXT_IRI` and :data:`VISIBILITIES` -- the archive's annotation terms.

This is public API, kept stable across releases like :mod:`exporter.model`; everything under
``exporter.formats``, ``exporter.engine`` and ``exporter.sources`` is private to the project.
User and corpus text is always escaped: it is data, never markup.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Callable

from .model import AnnotationEnd, AnnotationStart, Entry, Inline, Note, NoteRef, PageBreak, Text

if TYPE_CHECKING:  # markupsafe is imported when a page is rendered, not when plugins load
    from markupsafe import Markup

#: Human titles of the layer names the corpus uses (others are shown as they are).
LAYER_TITLES = {"translation": "Translation", "transcription": "Transcription", "text": "Text"}

#: The archive's JSON-LD extension context (annotation visibility and group), served with the exports.
EXTENSION_CONTEXT_IRI = "https://archive.example.org/ns/exporter.jsonld"
#: Who may see an annotation: only its author, the members of its group, or everyone.
VISIBILITIES = ("private", "group", "public")

_TAGS = (("italic", "<i>", "</i>"), ("bold", "<b>", "</b>"), ("underline", "<u>", "</u>"),
         ("sup", "<sup>", "</sup>"), ("sub", "<sub>", "</sub>"),
         ("smallcaps", '<span class="sc">', "</span>"))


def inline_html(inlines: list[Inline], note_mode: str = "link", active: set[int] | None = None, *,
                note_id: Callable[[Note], str] | None = None) -> Markup:
    """HTML for a block's inline items.

    ``note_mode``: ``link`` -- a superscript link to the note (HTML endnotes); ``footnote`` --
    a ``<span class="footnote">`` holding the note text, for CSS ``float: footnote`` (PDF).
    ``active`` carries the numbers of annotations open across block boundaries.
    ``note_id`` gives the id used in ``note-``/``ref-``/``call-`` element ids (default: the
    note's own id).  In ``footnote`` mode an empty ``<span class="fn-call" id="call-…">``
    precedes each note, so a layout check can tell on which page the note is called.
    """
    out: list[str] = []
    open_anns: set[int] = active if active is not None else set()
    for item in inlines:
        if isinstance(item, Text):
            text = escape(item.text, quote=False)
            for style, start, end in _TAGS:
                if style in item.styles:
                    text = f"{start}{text}{end}"
            if open_anns:
                nums = " ".join(str(n) for n in sorted(open_anns))
                text = f'<mark class="ann" data-ann="{nums}">{text}</mark>'
            out.append(text)
        elif isinstance(item, NoteRef):
            note = item.note
            nid = escape(note_id(note) if note_id is not None else note.id)
            if note_mode == "footnote":
                body = "".join(_styled(t.text, t.styles) for t in note.content)
                out.append(f'<span class="fn-call" id="call-{nid}"></span>'
                           f'<span class="footnote" id="note-{nid}" data-note="{escape(note.label)}">{body}</span>')
            else:
                out.append(f'<a class="noteref" id="ref-{nid}" href="#note-{nid}"><sup>{escape(note.label)}</sup></a>')
        elif isinstance(item, PageBreak):
            out.append(f'<span class="pb" data-page="{escape(item.label)}">[p.\u00a0{escape(item.label)}]</span>')
        elif isinstance(item, AnnotationStart):
            n = item.annotation.number
            open_anns.add(n)
            out.append(f'<sup class="ann-marker" id="ann-mark-{n}">A{n}</sup>')
        elif isinstance(item, AnnotationEnd):
            open_anns.discard(item.annotation.number)
    from markupsafe import Markup

    return Markup("".join(out))


def _styled(text: str, styles: frozenset[str]) -> str:
    text = escape(text, quote=False)
    for style, start, end in _TAGS:
        if style in styles:
            text = f"{start}{text}{end}"
    return text


def metadata_rows(entry: Entry) -> list[tuple[str, str]]:
    """Label/value pairs for an entry's metadata block (empty fields left out)."""
    d = entry.date
    date = (("c. " if d.approximate else "") + (d.text or d.iso or "")) if (d.text or d.iso) else "Undated"
    pages = "; ".join(f"{LAYER_TITLES.get(n, n)} {'–'.join(dict.fromkeys([p[0], p[-1]])) if p else 'unpaginated'}"
                      for n, p in entry.pages().items())
    rows = [
        ("Author", "; ".join(p.display for p in entry.authors)),
        ("Recipient", "; ".join(p.display for p in entry.recipients)),
        ("Date", date),
        ("Place", entry.place or ""),
        ("Kind", entry.kind or ""),
        ("Repository", entry.repository or ""),
        ("Archival id", entry.archival_id or ""),
        ("Volume", entry.volume.title),
        ("Source pages", pages),
        ("Summary", entry.description or ""),
    ]
    return [(k, v) for k, v in rows if v]
