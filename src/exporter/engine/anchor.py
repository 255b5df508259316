"""Anchoring annotations at exact character positions of a layer.

The quote (``exact``, disambiguated by ``prefix``/``suffix``) decides; the position selector
is a check and breaks a tie only when it points at one of the equally good matches.  A quote
that cannot be found, or stays ambiguous, is reported and not anchored: never guessed.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import fields
from operator import attrgetter

from ..model import Annotation, AnnotationEnd, AnnotationStart, Block, Inline, Layer, PageBreak, Text


#: Every field of an annotation, in constructor order (a copy in one call, faster than copy.copy).
_values = attrgetter(*(f.name for f in fields(Annotation)))


class AnchorError(ValueError):
    pass


class AnchorTimeout(Exception):
    """Anchoring ran past the export's deadline."""


#: Equally good matches beyond which partial prefix/suffix matches are not scored (the quote
#: is reported as ambiguous instead): keeps a hostile file from costing quote x matches.
MAX_SCORED_HITS = 256
#: Annotations anchored between two looks at the clock.
_CLOCK_EVERY = 512


def _all(text: str, needle: str) -> list[int]:
    hits = []
    i = text.find(needle)
    while i != -1:
        hits.append(i)
        i = text.find(needle, i + 1)
    return hits


class QuoteFinder:
    """Finds quotes in one text, remembering the places of each quote and context it looked up.

    Many annotations on one passage share their quote (and often their context), so each is
    searched once: anchoring n annotations costs about n dictionary look-ups plus one search per
    distinct quote, instead of n searches.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._hits: dict[str, list[int]] = {}
        self._good: dict[tuple[str, str, str], list[int]] = {}

    def hits(self, exact: str) -> list[int]:
        found = self._hits.get(exact)
        if found is None:
            found = self._hits[exact] = _all(self.text, exact)
        return found

    def find(self, ann: Annotation) -> tuple[int, int]:
        """Return (start, end) of the annotation's quote or raise :class:`AnchorError`."""
        exact = ann.exact
        hits = self.hits(exact)
        if not hits:
            raise AnchorError(f"quote {_short(exact)} not found")
        if len(hits) > 1 and (ann.prefix or ann.suffix):
            key = (exact, ann.prefix, ann.suffix)
            good = self._good.get(key)
            if good is None:
                good = self._good[key] = self._disambiguate(hits, ann)
            hits = good
        if len(hits) > 1:
            if ann.start >= 0 and ann.end == ann.start + len(exact) and ann.start in hits:
                return ann.start, ann.end
            raise AnchorError(f"quote {_short(exact)} is ambiguous ({len(hits)} places) and no selector decides")
        return hits[0], hits[0] + len(exact)

    def _disambiguate(self, hits: list[int], ann: Annotation) -> list[int]:
        text, exact, prefix, suffix = self.text, ann.exact, ann.prefix, ann.suffix
        # Full context first, with one search of prefix+quote+suffix.
        good = [h + len(prefix) for h in _all(text, prefix + exact + suffix)]
        if good or len(hits) > MAX_SCORED_HITS:
            return good or hits
        # Prefix/suffix may be trimmed at text ends or edited: score partial matches.
        def score(h: int) -> int:
            return _common_suffix(text[max(0, h - len(prefix)):h], prefix) + _common_prefix(
                text[h + len(exact):h + len(exact) + len(suffix)], suffix)
        scores = [score(h) for h in hits]
        best = max(scores)
        return [h for h, s in zip(hits, scores) if s == best] if best else hits


def find_quote(text: str, ann: Annotation) -> tuple[int, int]:
    """Return (start, end) of the annotation's quote in ``text`` or raise :class:`AnchorError`."""
    return QuoteFinder(text).find(ann)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def anchor_layer(layer: Layer, annotations: list[Annotation], warnings: list[str],
                 entry_id: str, deadline: float | None = None) -> tuple[Layer, list[Annotation]]:
    """Return a copy of ``layer`` with annotation anchors inserted, and the anchored annotations.

    Near-linear in the number of annotations (one sort of their markers); raises
    :class:`AnchorTimeout` once ``time.monotonic()`` passes ``deadline``.
    """
    if not annotations:
        return layer, []
    finder = QuoteFinder(layer.text)
    placed: list[Annotation] = []
    for n, ann in enumerate(annotations):
        if deadline is not None and n % _CLOCK_EVERY == 0 and time.monotonic() > deadline:
            raise AnchorTimeout(f"anchoring annotations on {entry_id}/{layer.name}")
        try:
            start, end = finder.find(ann)
        except AnchorError as exc:
            warnings.append(f"annotation {ann.id} on {entry_id}/{layer.name}: {exc}; not included")
            continue
        if ann.start >= 0 and (ann.start, ann.end) != (start, end):
            warnings.append(f"annotation {ann.id} on {entry_id}/{layer.name}: position selector "
                            f"{ann.start}-{ann.end} disagrees with the quote (found at {start}-{end}); quote used")
        copy = Annotation(*_values(ann))  # the corpus's annotation stays as loaded
        copy.start, copy.end = start, end
        placed.append(copy)
    blocks = [Block(b.kind, list(b.inlines)) for b in layer.blocks]
    # Offsets of each block in the layer text (blocks are joined by "\n").
    offsets, pos = [], 0
    lengths = []
    for b in blocks:
        offsets.append(pos)
        n = len(b.text)
        lengths.append(n)
        pos += n + 1
    # Per block: (offset, kind, order, marker); kind 0 = end, 1 = start.  At one offset ends
    # come before starts; starts in annotation order, ends in reverse (ranges nest).
    per_block: dict[int, list[tuple[int, int, int, Inline]]] = {}
    for seq, ann in enumerate(placed):
        sb, so = _locate(offsets, lengths, ann.start, is_end=False)
        eb, eo = _locate(offsets, lengths, ann.end, is_end=True)
        per_block.setdefault(sb, []).append((so, 1, seq, AnnotationStart(ann)))
        per_block.setdefault(eb, []).append((eo, 0, -seq, AnnotationEnd(ann)))
    for b, events in per_block.items():
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        blocks[b].inlines = _weave(blocks[b].inlines, events)
    if deadline is not None and time.monotonic() > deadline:
        raise AnchorTimeout(f"anchoring annotations on {entry_id}/{layer.name}")
    new = Layer(layer.name, layer.language, blocks, list(layer.pages), layer.start_page)
    _set_pages(new)
    return new, placed


def _locate(offsets: list[int], lengths: list[int], pos: int, is_end: bool) -> tuple[int, int]:
    i = bisect_right(offsets, pos) - 1
    if i < 0:
        return 0, 0
    local = pos - offsets[i]
    length = lengths[i]
    if is_end and local == 0 and i > 0:
        return i - 1, lengths[i - 1]  # ends just after a newline: end of previous block
    if not is_end and local > length and i + 1 < len(offsets):
        return i + 1, 0
    return i, min(local, length)


def _weave(inlines: list[Inline], events: list[tuple[int, int, int, Inline]]) -> list[Inline]:
    """Insert sorted markers into ``inlines`` in one pass.

    An end goes right after the text before its offset (before page breaks and notes there); a
    start right before the text at its offset (after them).
    """
    out: list[Inline] = []
    k, total = 0, len(events)
    pos = 0
    for item in inlines:
        if not isinstance(item, Text) or not item.text:
            out.append(item)
            continue
        n = len(item.text)
        stop = pos + n
        # Markers at this text's start: ends not yet placed (only at offset 0), then starts.
        while k < total and events[k][0] <= pos:
            out.append(events[k][3])
            k += 1
        cut = 0
        while k < total and events[k][0] < stop:
            off = events[k][0]
            out.append(Text(item.text[cut:off - pos], item.styles))
            cut = off - pos
            while k < total and events[k][0] == off:
                out.append(events[k][3])
                k += 1
        out.append(Text(item.text[cut:], item.styles) if cut else item)
        # Ends at this text's end go right after it.
        while k < total and events[k][0] == stop and events[k][1] == 0:
            out.append(events[k][3])
            k += 1
        pos = stop
    while k < total:
        out.append(events[k][3])
        k += 1
    return out


def _set_pages(layer: Layer) -> None:
    """Record each anchored annotation's starting source page."""
    page = layer.start_page
    for block in layer.blocks:
        for item in block.inlines:
            if isinstance(item, PageBreak):
                page = item.label
            elif isinstance(item, AnnotationStart):
                item.annotation.page = page
