"""Narrowing entries to chosen layers and source page ranges (on copies; the corpus is untouched)."""

from __future__ import annotations

from ..model import TEXT, AnnotationEnd, AnnotationStart, Block, Inline, Layer, PageBreak, Text

LAYER_CHOICES = ("translation", "transcription", "both")


def choose_layers(layers: dict[str, Layer], choice: str) -> tuple[dict[str, Layer], str | None]:
    """Pick the layers for ``choice``; an entry lacking them keeps what it has (with a warning)."""
    if choice == "both" or TEXT in layers:
        return dict(layers), None
    if choice in layers:
        return {choice: layers[choice]}, None
    return dict(layers), f"has no {choice} layer; its {', '.join(layers) or 'empty'} layer is included"


def page_number(label: str | None) -> int | None:
    if label is None:
        return None
    digits = label.strip()
    return int(digits) if digits.isascii() and digits.isdigit() else None


def narrow_layer(layer: Layer, lo: int, hi: int) -> Layer | None:
    """Keep only the text on source pages ``lo``..``hi``; ``None`` when nothing is left.

    Annotation ranges cut by the narrowing are closed at the edge of what is kept, and their
    quote, prefix and suffix are narrowed to the kept text (:func:`narrow_quotes`): the print
    policy covers what annotations quote as well.
    """
    page = layer.start_page
    kept_blocks: list[Block] = []
    start_page = None
    open_anns: dict[int, AnnotationStart] = {}  # started (kept or not) and not yet ended
    started: set[int] = set()  # annotations whose start is in the kept text
    for block in layer.blocks:
        keep: list[Inline] = []
        for item in block.inlines:
            if isinstance(item, PageBreak):
                page = item.label
            elif isinstance(item, AnnotationStart):
                open_anns[id(item.annotation)] = item
            elif isinstance(item, AnnotationEnd):
                open_anns.pop(id(item.annotation), None)
            n = page_number(page)
            if n is not None and lo <= n <= hi:
                if start_page is None and not isinstance(item, PageBreak):
                    start_page = page
                if isinstance(item, Text):
                    # An annotation that began before the kept pages starts again here.
                    for key, start in open_anns.items():
                        if key not in started:
                            start.annotation.page = page  # it starts, as printed, on this page
                            keep.append(AnnotationStart(start.annotation))
                            started.add(key)
                elif isinstance(item, AnnotationStart):
                    started.add(id(item.annotation))
                keep.append(item)
        if any(getattr(i, "text", "") for i in keep):
            kept_blocks.append(Block(block.kind, keep))
    if not kept_blocks:
        return None
    _balance(kept_blocks)
    narrow_quotes(kept_blocks)
    pages = [p for p in layer.pages if (page_number(p) or 0) and lo <= page_number(p) <= hi]
    return Layer(layer.name, layer.language, kept_blocks, pages, start_page)


def _balance(blocks: list[Block]) -> None:
    """Give every kept start an end and every kept end a start."""
    starts = {id(i.annotation): i for b in blocks for i in b.inlines if isinstance(i, AnnotationStart)}
    ends = {id(i.annotation): i for b in blocks for i in b.inlines if isinstance(i, AnnotationEnd)}
    for key, start in starts.items():
        if key not in ends:
            blocks[-1].inlines.append(AnnotationEnd(start.annotation))
    for key, end in ends.items():
        if key not in starts:
            blocks[0].inlines.insert(_first_text(blocks[0].inlines), AnnotationStart(end.annotation))


def _first_text(inlines: list[Inline]) -> int:
    for i, item in enumerate(inlines):
        if getattr(item, "text", None):
            return i
    return 0


def narrow_quotes(blocks: list[Block]) -> None:
    """Set each anchored annotation's quote, prefix and suffix to what ``blocks`` hold.

    An annotation whose quote runs onto pages that are not printed keeps only the printed part
    (``quote_cut`` is set); prefix and suffix never reach past the printed text.
    """
    parts: list[str] = []
    pos = 0
    starts: dict[int, tuple[int, object]] = {}
    spans: list[tuple[object, int, int]] = []
    for bi, block in enumerate(blocks):
        if bi:
            parts.append("\n")
            pos += 1
        for item in block.inlines:
            if isinstance(item, Text):
                parts.append(item.text)
                pos += len(item.text)
            elif isinstance(item, AnnotationStart):
                starts.setdefault(id(item.annotation), (pos, item.annotation))
            elif isinstance(item, AnnotationEnd):
                begun = starts.get(id(item.annotation))
                if begun is not None:
                    spans.append((item.annotation, begun[0], pos))
    text = "".join(parts)
    for ann, start, end in spans:
        quote = text[start:end]
        if quote != ann.exact:
            ann.exact = quote
            ann.quote_cut = True
        ann.prefix = text[max(0, start - len(ann.prefix)):start] if ann.prefix else ""
        ann.suffix = text[end:end + len(ann.suffix)] if ann.suffix else ""
