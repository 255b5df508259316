"""The lost-footnote check: is every footnote at the foot of the page that calls it (or the next)?

weasyprint 70 drops a footnote when two do not fit at a page foot (about 1 in 30 at ten dense
pages).  Its laid-out pages tell us what happened: every element with an ``id`` that was laid
out becomes an anchor of the page it is on.  Each footnote is rendered as an empty
``<span class="fn-call" id="call-X">`` (in the text, where the note is called) followed by the
note itself ``<span class="footnote" id="note-X">``, which ``float: footnote`` moves into the
page's footnote area.  So a note is safe when ``note-X`` is an anchor of the page holding
``call-X`` or of the next page; it is lost when it is an anchor of no page at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class NoteProblem:
    """A footnote that is missing, or printed too far from its call."""

    dom_id: str
    call_page: int | None  # 1-based, None when the call itself was not laid out
    note_page: int | None  # 1-based, None when the note was dropped

    def describe(self) -> str:
        if self.note_page is None:
            return f"footnote {self.dom_id} (called on page {self.call_page}) was dropped by the layout"
        return f"footnote {self.dom_id} is on page {self.note_page}, called on page {self.call_page}"


def anchor_pages(pages: Iterable[Any]) -> dict[str, int]:
    """First (1-based) page of every anchor of a rendered weasyprint document."""
    where: dict[str, int] = {}
    for number, page in enumerate(pages, 1):
        for name in page.anchors:
            where.setdefault(name, number)
    return where


def check_footnotes(pages: Iterable[Any], dom_ids: Iterable[str]) -> list[NoteProblem]:
    """Problems with the footnotes ``dom_ids`` (the ``X`` of ``note-X``) in rendered ``pages``."""
    where = anchor_pages(pages)
    problems = []
    for dom in dom_ids:
        call = where.get(f"call-{dom}")
        note = where.get(f"note-{dom}")
        if call is None or note is None or not 0 <= note - call <= 1:
            problems.append(NoteProblem(dom, call, note))
    return problems
