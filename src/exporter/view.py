"""What format writers share: the public view helpers for built-in and third-party formats.

A format renders the model (:mod:`exporter.model`); this module holds the few things every
writer of a reading copy presents the same way, so that the built-in formats and third-party
format plugins agree without importing each other:

* :data:`LAYER_TITLES` and :func:`metadata_rows` -- the labelled metadata block of an entry;
* :func:`inline_html` -- a block's inline items as escaped HTML (notes, page markers,
  annotation highlights);
* :data:`EXTENSION_CONTEXT_IRI` and :data:`VISIBILITIES` -- the archive's annotation terms;
* :func:`document_dict`, :func:`entry_dict`, :func:`volume_dict`, :func:`annotation_dict` --
  the model as plain JSON data (what the ``json`` format writes and the HTTP service serves).

This is public API, kept stable across releases like :mod:`exporter.model`; everything under
``exporter.formats``, ``exporter.engine`` and ``exporter.sources`` is private to the project.
User and corpus text is always escaped: it is data, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from .model import (
    Annotation,
    AnnotationEnd,
    AnnotationStart,
    Document,
    Entry,
    Inline,
    Note,
    NoteRef,
    PageBreak,
    Person,
    Text,
    Volume,
)

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


def inline_html(inlines: Sequence[Inline], note_mode: str = "link", active: set[int] | None = None, *,
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


# -- the model as JSON data ----------------------------------------------------------------------

def _person(p: Person) -> dict[str, Any]:
    return {k: v for k, v in (("literal", p.literal), ("family", p.family), ("given", p.given),
                              ("name", p.display)) if v}


def _inline(item: Inline) -> dict[str, Any]:
    if isinstance(item, Text):
        out: dict[str, Any] = {"type": "text", "text": item.text}
        if item.styles:
            out["styles"] = sorted(item.styles)
        return out
    if isinstance(item, NoteRef):
        return {"type": "note", "id": item.note.id, "label": item.note.label}
    if isinstance(item, PageBreak):
        return {"type": "page", "label": item.label, **({"facs": item.facs} if item.facs else {})}
    if isinstance(item, AnnotationStart):
        return {"type": "annotation-start", "id": item.annotation.id}
    if isinstance(item, AnnotationEnd):
        return {"type": "annotation-end", "id": item.annotation.id}
    raise TypeError(f"unknown inline {type(item).__name__}")


def annotation_dict(a: Annotation) -> dict[str, Any]:
    """An annotation as JSON data."""
    return {
        "id": a.id, "layer": a.layer, "exact": a.exact, "start": a.start, "end": a.end, "page": a.page,
        "body": a.body, "tags": a.tags, "creator": a.creator, "creator_name": a.creator_name,
        "visibility": a.visibility, "group": a.group, "created": a.created, "modified": a.modified,
        "motivation": a.motivation, "number": a.number,
    }


def volume_dict(v: Volume) -> dict[str, Any]:
    """A volume's metadata as JSON data."""
    return {
        "id": v.id, "title": v.title, "editors": [_person(p) for p in v.editors], "publisher": v.publisher,
        "place": v.place, "year": v.year, "series": v.series, "identifier": v.identifier,
        "languages": v.languages, "terms": v.terms, "url": v.base_url,
    }


def entry_dict(e: Entry) -> dict[str, Any]:
    """An entry as JSON data: metadata, citation, notes, annotations and the text of each layer."""
    return {
        "id": e.id, "qualified_id": e.qualified_id, "volume": e.volume.id, "title": e.title,
        "heading": [_inline(i) for i in e.heading], "kind": e.kind, "genre": e.genre, "number": e.number,
        "date": e.date.iso, "date_text": e.date.text, "date_approximate": e.date.approximate,
        "place": e.place, "authors": [_person(p) for p in e.authors],
        "recipients": [_person(p) for p in e.recipients], "repository": e.repository,
        "archival_id": e.archival_id, "description": e.description, "language": e.language,
        "url": e.iri, "pages": e.pages(),
        "citation": {"style": e.citation.style, "note": e.citation.note,
                     "bibliography": e.citation.bibliography} if e.citation else None,
        "notes": [{"id": n.id, "label": n.label, "layer": n.layer, "text": n.text} for n in e.notes],
        "annotations": [annotation_dict(a) for a in e.annotations],
        "layers": {
            # ``iri``: the layer as an annotation's target ``source`` (W3C Web Annotation)
            name: {"iri": e.layer_iri(name), "language": lay.language, "pages": lay.pages,
                   "blocks": [{"kind": b.kind, "inlines": [_inline(i) for i in b.inlines]} for b in lay.blocks]}
            for name, lay in e.layers.items()
        },
    }


def document_dict(doc: Document) -> dict[str, Any]:
    """The whole document as JSON data (what the ``json`` format writes)."""
    return {
        "exporter": "archive-exporter",
        "title": doc.title,
        "exported_at": doc.exported_at.isoformat(),
        "user": doc.user,
        "selection": doc.selection.describe(),
        "source_pages": doc.source_pages,
        "volumes": [volume_dict(v) for v in doc.volumes],
        "entries": [entry_dict(e) for e in doc.entries],
        "warnings": doc.warnings,
    }


# -- what a reading view shows ---------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
#: What a details table shows for an empty field.
NOT_AVAILABLE = "N/A"


def _day(entry: Entry, with_year: bool) -> str:
    d = entry.date
    if d.year is None:  # told apart by the document's number (or id), not by a place in a day
        return f"Undated (No. {entry.number})" if entry.number else f"Undated ({entry.local_id})"
    if d.month is None:
        return str(d.year)
    parts = ([str(d.day)] if d.day else []) + [_MONTHS[d.month - 1]] + ([str(d.year)] if with_year or not d.day else [])
    return ("c. " if d.approximate else "") + " ".join(parts)


def toc_labels(entries: Sequence[Entry]) -> list[str]:
    """Short labels for a table of contents, one per entry, in the given order.

    The label is the entry's day ("3 March"; with the year when the entries span several years);
    entries that share a day are told apart by their place in the day ("3 March (1)",
    "3 March (2)"); an undated entry by its document number ("Undated (No. 28)").
    """
    with_year = len({e.date.year for e in entries if e.date.year is not None}) > 1
    days = [_day(e, with_year) for e in entries]
    keys = [(e.volume.id, e.date.iso or f"#{e.id}") for e in entries]
    total: dict[tuple[str, str], int] = {}
    for k in keys:
        total[k] = total.get(k, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    out = []
    for day, k in zip(days, keys, strict=True):
        seen[k] = seen.get(k, 0) + 1
        out.append(f"{day} ({seen[k]})" if total[k] > 1 else day)
    return out


def details_rows(entry: Entry) -> list[tuple[str, str]]:
    """The Document Details table of a reading view: every row present, ``N/A`` where empty.

    Title, author, recipient, repository, ID (the archival id, else the entry's id in its
    volume), description, date and volume.
    """
    d = entry.date
    date = (("c. " if d.approximate else "") + (d.text or d.iso or "")) if (d.text or d.iso) else ""
    rows = [
        ("Title", entry.title),
        ("Author", "; ".join(p.display for p in entry.authors)),
        ("Recipient", "; ".join(p.display for p in entry.recipients)),
        ("Repository", entry.repository or ""),
        ("ID", entry.archival_id or entry.qualified_id),
        ("Description", entry.description or ""),
        ("Date", date),
        ("Volume", entry.volume.title),
    ]
    return [(k, v.strip() or NOT_AVAILABLE) for k, v in rows]
