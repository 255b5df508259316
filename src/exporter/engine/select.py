"""Resolving a selection (ids, a table-of-contents range, a folder, dates) to entries."""

from __future__ import annotations

import re

from ..errors import FolderRefused, SelectionError, UsageError
from ..model import Corpus, Entry, Folder

_PAGES = re.compile(r"^([0-9]+)-([0-9]+)$|^([0-9]+)$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_pages(text: str) -> tuple[int, int]:
    """``"21-25"`` or ``"21"`` -> (21, 25).  ASCII digits only; reversed or zero ranges are errors."""
    m = _PAGES.match(text.strip()) if text.isascii() else None
    if m and any(g and len(g) > 9 for g in m.groups()):
        raise UsageError(f"--pages {_short(text)}: page numbers have at most 9 digits")
    if not m:
        raise UsageError(f"--pages {_short(text)}: expected a page or a range like 21-25 (ASCII digits)")
    lo, hi = (int(m.group(3)), int(m.group(3))) if m.group(3) else (int(m.group(1)), int(m.group(2)))
    if lo < 1 or hi < 1:
        raise UsageError(f"--pages {text!r}: pages start at 1")
    if hi < lo:
        raise UsageError(f"--pages {text!r}: range is reversed; did you mean {hi}-{lo}?")
    return lo, hi


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:30] + "...")


def lookup(corpus: Corpus, entry_id: str) -> Entry:
    entry = corpus.get(entry_id)
    if entry is not None:
        return entry
    # Summaries: an indexed corpus answers these without reading its volumes.
    matches = [e.qualified_id for e in corpus.summaries() if e.local_id == entry_id]
    if len(matches) > 1:
        names = ", ".join(matches)
        raise SelectionError(f"entry id '{entry_id}' is in several volumes; name one of: {names}")
    close = [e.id for e in corpus.summaries() if entry_id.lower() in e.id.lower()][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `exporter toc` lists the ids"
    raise SelectionError(f"unknown entry id '{entry_id}'{hint}")


def by_ids(corpus: Corpus, ids: str) -> list[Entry]:
    names = [i.strip() for i in ids.split(",") if i.strip()]
    if not names:
        raise UsageError("--entries needs at least one entry id")
    out, seen = [], set()
    for name in names:
        entry = lookup(corpus, name)
        if entry.id not in seen:  # a repeated id selects the entry once
            seen.add(entry.id)
            out.append(entry)
    return out


def by_range(corpus: Corpus, spec: str) -> list[Entry]:
    if ".." not in spec:
        raise UsageError(f"--range {spec!r}: expected FIRST..LAST (entry ids)")
    a, b = (s.strip() for s in spec.split("..", 1))
    first, last = lookup(corpus, a), lookup(corpus, b)
    if last.order < first.order:
        raise UsageError(f"--range {spec!r}: '{b}' comes before '{a}' in the volume")
    return corpus.entries[first.order:last.order + 1]


def _date_bound(text: str, end: bool) -> tuple[int, int, int]:
    m = _DATE.match(text.strip())
    if not m:
        raise UsageError(f"--dates: {text!r} is not a date like 1918-03-01, 1918-03 or 1918")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if mo and not 1 <= int(mo) <= 12 or d and not 1 <= int(d) <= 31:
        raise UsageError(f"--dates: {text!r} is not a valid date")
    if end:
        return (y, int(mo) if mo else 12, int(d) if d else 31)
    return (y, int(mo) if mo else 1, int(d) if d else 1)


def by_dates(corpus: Corpus, spec: str) -> list[Entry]:
    if ".." not in spec:
        lo = _date_bound(spec, False)
        hi = _date_bound(spec, True)
    else:
        a, b = spec.split("..", 1)
        lo = _date_bound(a, False) if a.strip() else (0, 0, 0)
        hi = _date_bound(b, True) if b.strip() else (9999, 12, 31)
    if hi < lo:
        raise UsageError(f"--dates {spec!r}: range is reversed")
    out = []
    for e in corpus.summaries():
        if e.date.year is None:
            continue  # undated entries never match a date range
        # A partial date matches when its whole span overlaps the range.
        start = (e.date.year, e.date.month or 1, e.date.day or 1)
        stop = (e.date.year, e.date.month or 12, e.date.day or 31)
        if stop >= lo and start <= hi:
            out.append(e if isinstance(e, Entry) else corpus.entries[e.order])
    return out


def visible_folders(corpus: Corpus, user: str | None) -> list[Folder]:
    groups = {g.name for g in corpus.groups.values() if user and user in g.members}
    return [f for f in corpus.folders if (f.owner and f.owner == user) or (f.group and f.group in groups)]


def by_folder(corpus: Corpus, name: str, user: str | None) -> list[Entry]:
    mine = visible_folders(corpus, user)
    folder = next((f for f in mine if f.name == name), None)
    if folder is None:
        if any(f.name == name for f in corpus.folders):
            who = f"user '{user}'" if user else "anonymous readers (give --user)"
            raise FolderRefused(f"folder '{name}' is not visible to {who}")
        known = ", ".join(f.name for f in mine) or "none"
        raise SelectionError(f"unknown folder '{name}'; folders visible to you: {known}")
    out, seen = [], set()
    for entry_id in folder.entries:
        entry = lookup(corpus, entry_id)
        if entry.id not in seen:
            seen.add(entry.id)
            out.append(entry)
    return out
