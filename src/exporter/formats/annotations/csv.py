"""``annotations-csv``: one row per annotation, UTF-8 with a header row, safe to open in a spreadsheet.

Any cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed is
prefixed with an apostrophe (``'``) so that spreadsheet programs do not evaluate it as a formula
(CSV injection).  See ``docs/annotations.md``.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from ...model import Document
from ...registry import RenderInfo
from .common import as_iri, entry_link, passages, text_fragment, timestamp

COLUMNS = (
    "annotation_id", "entry_id", "entry_title", "entry_date", "page", "layer", "quote", "body", "tags",
    "creator", "creator_name", "visibility", "group", "created", "modified", "link",
)
#: Cells starting with one of these are prefixed with NEUTRALISER.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
NEUTRALISER = "'"
TAG_SEPARATOR = "; "
LINE_END = "\r\n"
_NEEDS_QUOTES = re.compile(r'[",\r\n]')
# Joins a row's user-text cells for one check (see render); a formula start follows it.
_SEP = "\x00"
_FORMULA_AFTER_SEP = re.compile(r"\x00[=+\-@\t]")


def csv_cell(value: str) -> str:
    """A neutralised cell, quoted as RFC 4180 (and Python's ``csv``, QUOTE_MINIMAL) quote it."""
    value = NEUTRALISER + value if value.startswith(FORMULA_STARTS) else value
    if _NEEDS_QUOTES.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write the header and one row per annotation, streaming in chunks of about 64 KB.

    Rows are built here rather than with :mod:`csv` (markedly slower per row, which mattered
    for the 100,000 annotations/s target); the tests read the output back with :mod:`csv`.
    """
    starts, search, formula = FORMULA_STARTS, _NEEDS_QUOTES.search, _FORMULA_AFTER_SEP.search
    chunk = [",".join(COLUMNS) + LINE_END]
    size = 0
    current, head, base = None, "", ""
    # Timestamps repeat (imports, batch edits): formatting one costs a regex match or a parse.
    stamps: dict = {None: ""}
    for entry, ann, prefix, suffix in passages(doc):
        if entry is not current:
            current, base = entry, entry_link(entry)
            head = ",".join(csv_cell(v) for v in (entry.id, entry.title, entry.date.iso or ""))
            if len(stamps) > 4096:  # bounded: memory stays flat however many rows
                stamps = {None: ""}
        # The hot path: csv_cell() only for the rare cell that needs it.  The layer and the
        # visibility are the model's own words, times are RFC 3339 (digits, letters, "-:+."),
        # the id begins with an IRI scheme and the link is percent-encoded (only the commas of
        # its text fragment need the quotes).
        ann_id = as_iri(ann.id)
        if search(ann_id) is not None:
            ann_id = '"' + ann_id.replace('"', '""') + '"'
        page, group = ann.page or "", ann.group or ""
        if page and (search(page) is not None or page.startswith(starts)):
            page = csv_cell(page)
        if group and (search(group) is not None or group.startswith(starts)):
            group = csv_cell(group)
        exact = ann.exact
        # The five user-text cells checked in three C scans over one string rather than ten calls
        # (each cell follows a separator, so a formula start is a separator and one of "=+-@\t").
        # The separator, a C0 control, never reaches the model (see exporter.textnorm), but the
        # count makes sure of it.
        cells = (f"{_SEP}{exact}{_SEP}{ann.body}{_SEP}{TAG_SEPARATOR.join(ann.tags)}"
                 f"{_SEP}{ann.creator}{_SEP}{ann.creator_name}")
        if search(cells) is None and formula(cells) is None and cells.count(_SEP) == 5:
            cells = cells.replace(_SEP, ",")
        else:
            cells = "," + ",".join(csv_cell(v) for v in (
                exact, ann.body, TAG_SEPARATOR.join(ann.tags), ann.creator, ann.creator_name))
        created, modified = ann.created, ann.modified
        c = stamps.get(created)
        if c is None:
            c = stamps[created] = timestamp(created) or ""
        m = stamps.get(modified)
        if m is None:
            m = stamps[modified] = timestamp(modified) or ""
        line = (f"{ann_id},{head},{page},{ann.layer}{cells},{ann.visibility},{group},{c},{m},"
                f"\"{base}#{text_fragment(exact, prefix, suffix)}\"{LINE_END}")
        chunk.append(line)
        size += len(line)
        if size >= 1 << 16:
            out.write("".join(chunk).encode("utf-8"))
            chunk.clear()
            size = 0
    out.write("".join(chunk).encode("utf-8"))
    return RenderInfo()
