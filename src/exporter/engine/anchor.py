"""Anchoring annotations at exact character positions of a layer.

The quote (``exact``, disambiguated by ``prefix``/``suffix``) decides; the position selector
is a check and breaks a tie only when it points at one of the equally good matches.  A quote
that cannot be found, or stays ambiguous, is reported and not anchored: never guessed.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Annotation, AnnotationEnd, AnnotationStart, Block, Inline, Layer, PageBreak, Text


class AnchorError(ValueError):
    pass


def find_quote(text: str, ann: Annotation) -> tuple[int, int]:
    """Return (start, end) of the annotation's quote in ``text`` or raise :class:`AnchorError`."""
    exact = ann.exact
    hits = []
    i = text.find(exact)
    while i != -1:
        hits.append(i)
        i = text.find(exact, i + 1)
    if not hits:
        raise AnchorError(f"quote {_short(exact)} not found")
    if len(hits) > 1 and (ann.prefix or ann.suffix):
        good = [h for h in hits
                if text[:h].endswith(ann.prefix) and text[h + len(exact):].startswith(ann.suffix)]
        if not good:  # prefix/suffix may be trimmed at text ends or edited: score partial matches
            def score(h: int) -> int:
                return _common_suffix(text[max(0, h - len(ann.prefix)):h], ann.prefix) + _common_prefix(
                    text[h + len(exact):h + len(exact) + len(ann.suffix)], ann.suffix)
            best = max(score(h) for h in hits)
            good = [h for h in hits if score(h) == best] if best else hits
        hits = good
    if len(hits) > 1:
        if ann.start in hits and ann.end == ann.start + len(exact):
            return ann.start, ann.end
        raise AnchorError(f"quote {_short(exact)} is ambiguous ({len(hits)} places) and no selector decides")
    return hits[0], hits[0] + len(exact)


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
                 entry_id: str) -> tuple[Layer, list[Annotation]]:
    """Return a copy of ``layer`` with annotation anchors inserted, and the anchored annotations."""
    if not annotations:
        return layer, []
    text = layer.text
    placed: list[Annotation] = []
    for ann in annotations:
        try:
            start, end = find_quote(text, ann)
        except AnchorError as exc:
            warnings.append(f"annotation {ann.id} on {entry_id}/{layer.name}: {exc}; not included")
            continue
        if ann.start >= 0 and (ann.start, ann.end) != (start, end):
            warnings.append(f"annotation {ann.id} on {entry_id}/{layer.name}: position selector "
                            f"{ann.start}-{ann.end} disagrees with the quote (found at {start}-{end}); quote used")
        placed.append(replace(ann, start=start, end=end))
    blocks = [Block(b.kind, list(b.inlines)) for b in layer.blocks]
    # Offsets of each block in the layer text (blocks are joined by "\n").
    offsets, pos = [], 0
    for b in blocks:
        offsets.append(pos)
        pos += len(b.text) + 1
    events: list[tuple[int, int, int, Annotation]] = []  # (block, offset, kind, ann); kind 0=end 1=start
    for ann in placed:
        sb, so = _locate(offsets, blocks, ann.start, is_end=False)
        eb, eo = _locate(offsets, blocks, ann.end, is_end=True)
        events.append((sb, so, 1, ann))
        events.append((eb, eo, 0, ann))
    # Insert from the back so earlier offsets stay valid; at one offset ends go before starts.
    events.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
    for b, off, kind, ann in events:
        marker = AnnotationStart(ann) if kind else AnnotationEnd(ann)
        blocks[b].inlines = _insert(blocks[b].inlines, off, marker)
    new = Layer(layer.name, layer.language, blocks, list(layer.pages), layer.start_page)
    _set_pages(new)
    return new, placed


def _locate(offsets: list[int], blocks: list[Block], pos: int, is_end: bool) -> tuple[int, int]:
    for i in range(len(blocks) - 1, -1, -1):
        if pos >= offsets[i]:
            local = pos - offsets[i]
            length = len(blocks[i].text)
            if is_end and local == 0 and i > 0:
                return i - 1, len(blocks[i - 1].text)  # ends just after a newline: end of previous block
            if not is_end and local > length and i + 1 < len(blocks):
                return i + 1, 0
            return i, min(local, length)
    return 0, 0


def _insert(inlines: list[Inline], offset: int, marker: Inline) -> list[Inline]:
    """Insert ``marker`` at text offset ``offset``: starts after non-text items there, ends before."""
    is_start = isinstance(marker, AnnotationStart)
    out: list[Inline] = []
    pos = 0
    done = False
    for item in inlines:
        if done:
            out.append(item)
            continue
        if isinstance(item, Text):
            n = len(item.text)
            if pos < offset < pos + n:
                cut = offset - pos
                out.append(Text(item.text[:cut], item.styles))
                out.append(marker)
                out.append(Text(item.text[cut:], item.styles))
                done = True
                pos += n
                continue
            if pos == offset and is_start:
                out.append(marker)
                out.append(item)
                done = True
                pos += n
                continue
            if pos + n == offset and not is_start:
                out.append(item)
                out.append(marker)
                done = True
                pos += n
                continue
            pos += n
            out.append(item)
        else:
            out.append(item)
    if not done:
        out.append(marker)
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
