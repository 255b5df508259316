"""``annotations-csv``: one row per annotation, UTF-8 with a header row, safe to open in a spreadsheet.

Any cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is
prefixed with an apostrophe (``'``) so that spreadsheet programs do not evaluate it as a formula
(CSV injection).  See ``docs/annotations.md``.
"""

from __future__ import annotations

import csv
from typing import BinaryIO

from ..model import Document
from ..registry import RenderInfo
from .annotations_common import as_iri, deep_link, entry_link, passages, timestamp

COLUMNS = (
    "annotation_id", "entry_id", "entry_title", "entry_date", "page", "layer", "quote", "body", "tags",
    "creator", "creator_name", "visibility", "group", "created", "modified", "link",
)
#: Cells starting with one of these are prefixed with NEUTRALISER.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NEUTRALISER = "'"
TAG_SEPARATOR = "; "


def neutralise(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would take for a formula."""
    return NEUTRALISER + value if value.startswith(FORMULA_STARTS) else value


class _Utf8Sink:
    """A text sink for :mod:`csv` that encodes to the binary stream in chunks of ~64 KiB."""

    def __init__(self, out: BinaryIO, chunk: int = 1 << 16) -> None:
        self.out, self.chunk = out, chunk
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> int:
        self.parts.append(s)
        self.size += len(s)
        if self.size >= self.chunk:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode("utf-8"))
            self.parts.clear()
            self.size = 0


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write the header and one row per annotation, streaming."""
    text = _Utf8Sink(out)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    starts, mark = FORMULA_STARTS, NEUTRALISER
    current, head, base = None, ("", "", ""), ""
    for entry, ann, prefix, suffix in passages(doc):
        if entry is not current:
            current, head, base = entry, (entry.id, entry.title, entry.date.iso or ""), entry_link(entry)
            head = tuple(mark + v if v.startswith(starts) else v for v in head)
        # Inline rather than neutralise() per cell: this loop is the writer's hot path.  The id
        # and link begin with an IRI scheme (a letter), the layer, visibility and times are ours.
        user = [mark + v if v.startswith(starts) else v for v in (
            ann.page or "", ann.exact, ann.body, TAG_SEPARATOR.join(ann.tags), ann.creator, ann.creator_name,
            ann.group or "")]
        writer.writerow((as_iri(ann.id), *head, user[0], ann.layer, *user[1:6], ann.visibility, user[6],
                         timestamp(ann.created) or "", timestamp(ann.modified) or "",
                         deep_link(entry, ann, prefix, suffix, base)))
    text.flush()
    return RenderInfo()
