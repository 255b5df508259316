"""Rendering the model's inline items to escaped HTML (shared by the ``html`` and ``pdf`` formats).

User and corpus text is always escaped: it is data, never markup.
"""

from __future__ import annotations

from html import escape
from typing import Callable

from markupsafe import Markup

from ..model import AnnotationEnd, AnnotationStart, Inline, Note, NoteRef, PageBreak, Text

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
    return Markup("".join(out))


def _styled(text: str, styles: frozenset[str]) -> str:
    text = escape(text, quote=False)
    for style, start, end in _TAGS:
        if style in styles:
            text = f"{start}{text}{end}"
    return text
