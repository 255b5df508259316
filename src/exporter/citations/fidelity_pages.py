"""Fidelity patch: ``page-range-format`` as citeproc-js applies it (one unit, installed by
:mod:`.fidelity`'s ``PATCHES``).

citeproc-py abbreviates the last page as it is written ("1536-538" stays "538" under
``minimal``), ignores prefixes ("N110-N5") and knows no difference between ``chicago`` (15th
edition: a four-digit range where three digits change is printed whole, "1496–1504") and
``chicago-16``.  citeproc-js first completes an abbreviated last page from the first one,
formats ranges whose two ends carry the same prefix ("N110–N115"; an abbreviated end drops the
prefix), and leaves a range whose ends have different prefixes as written, with a hyphen
("N110-5").
"""

from __future__ import annotations

import re

_END = re.compile(r"^(.*?)(\d+)$")
_RANGE = re.compile(r"^\s*(\S+?)\s*[-\u2013]\s*(\S+?)\s*$")


def _common(first: str, last: str) -> int:
    count = 0
    for a, b in zip(first, last):
        if a != b:
            break
        count += 1
    return count


def last_page(first: str, last: str, range_format: str) -> tuple[str, bool]:
    """(the last page as ``range_format`` prints it, whether it is abbreviated); ``first`` and
    ``last`` are digits, ``last`` already completed from ``first``."""
    if len(last) != len(first) or int(last) <= int(first):
        return last, False
    common = _common(first, last)
    if range_format in ("chicago", "chicago-15", "chicago-16"):
        number = int(first)
        if number < 100 or number % 100 == 0:
            range_format = "expanded"
        elif range_format != "chicago-16" and len(first) == 4 and len(first) - common >= 3:
            range_format = "expanded"
        elif number % 100 < 10:
            range_format = "minimal"
        else:
            range_format = "minimal-two"
    if range_format == "minimal":
        index = common
    elif range_format == "minimal-two":
        index = min(common, len(first) - 2)
    else:
        index = 0
    return last[index:], index > 0


def format_range(item: str, range_format: str, delimiter: str) -> str | None:
    """One page range (``item``) in ``range_format``; None when it is not a range of numbers
    (citeproc-py's own handling applies)."""
    m = _RANGE.match(item)
    if not m:
        return None
    a, b = _END.match(m.group(1)), _END.match(m.group(2))
    if not (a and b):
        return None
    (prefix, first), (prefix_last, last) = a.groups(), b.groups()
    if prefix != prefix_last:
        return f"{m.group(1)}-{m.group(2)}"  # not one range: as written, with a hyphen
    if len(last) < len(first):
        last = first[:len(first) - len(last)] + last
    shown, abbreviated = last_page(first, last, range_format)
    return f"{prefix}{first}{delimiter}{'' if abbreviated else prefix}{shown}"


def patch_page_ranges(model) -> None:
    """``FormatNumber._process`` formats ``page`` ranges as citeproc-js does when the style
    sets ``page-range-format`` (without it, citeproc-py's handling stays)."""
    import unicodedata

    from citeproc.string import join

    original = model.FormatNumber._process

    def _process(self, value, variable):
        range_format = self.get_root().get_option("page-range-format") if variable == "page" else None
        if not range_format:
            return original(self, value, variable)
        delimiter = self.get_single_term(name="page-range-delimiter") or unicodedata.lookup("EN DASH")
        pieces = []
        for comma_item in str(value).split(","):
            parts = []
            for item in comma_item.split("&"):
                done = format_range(item, range_format, str(delimiter))
                parts.append(done if done is not None else str(original(self, item.strip(), variable)))
            pieces.append(" & ".join(parts))
        return join([model.String(p) for p in pieces], ", ")

    model.FormatNumber._process = _process
