"""What the reference writers (RIS, BibTeX, BibLaTeX, CSL-JSON) share: line breaks, chunked
output, the per-volume memo and its guard, an entry's page span."""

from __future__ import annotations

from typing import BinaryIO

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



def page_span(entry) -> tuple[str, str]:
    """``(first, last)`` source page of the entry's first paged layer; ``last`` is empty for a
    single page, both are empty when no layer has pages."""
    for layer in entry.layers.values():
        pages = layer.pages
        if pages:
            return pages[0], (pages[-1] if pages[-1] != pages[0] else "")
    return "", ""


class Chunks:
    """Records joined into one ``write`` per :data:`CHUNK` records: bounded memory, few syscalls.

    ``add`` takes the byte parts of one record (``bytes`` or ``str`` writers call ``add_text``);
    ``close`` writes the rest and returns the record count."""

    __slots__ = ("buf", "count", "out")

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buf: list[bytes] = []
        self.count = 0

    def add(self, parts) -> None:
        self.buf += parts
        self.count += 1
        if not self.count % CHUNK:
            self.out.write(b"".join(self.buf))
            self.buf.clear()

    def close(self) -> int:
        if self.buf:
            self.out.write(b"".join(self.buf))
            self.buf.clear()
        return self.count


def check_volume(written, reference, volumes: dict, vol, fallbacks: list[str] | None):
    """The guard on a volume's first record: ``written`` (the fast path's record) must equal
    ``reference`` (the plain mapping's).  If it does not, the mapping changed in a way the fast
    path does not follow: the volume is marked for the plain path (``volumes``), its id noted in
    ``fallbacks``, and the reference returned, to be written instead.  ``None`` when they agree."""
    if written == reference:
        return None
    volumes[id(vol)] = (vol, None)
    if fallbacks is not None:
        fallbacks.append(vol.id)
    return reference
