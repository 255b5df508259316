"""What the reference writers (RIS, BibTeX, CSL-JSON) share: line breaks, chunking, the
per-volume memo."""

from __future__ import annotations

#: Every character that ``str.splitlines`` (and so most line-based readers) treats as a line
#: boundary.  No RIS or BibTeX value may contain one: each becomes a space.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

#: How many records a writer joins into one ``write`` call (bounded memory, few syscalls).
CHUNK = 512


def volume_info(cache: dict, entry, build) -> tuple[tuple, bool]:
    """``(build(entry), True)`` the first time ``entry``'s volume is seen, else the kept value and
    False.  Kept by the volume's identity (checked against ``info[0]``, which ``build`` sets to the
    volume), at most 256 volumes at a time."""
    vol = entry.volume
    info = cache.get(id(vol))
    if info is not None and info[0] is vol:
        return info, False
    if len(cache) > 256:
        cache.clear()
    info = cache[id(vol)] = build(entry)
    return info, True

