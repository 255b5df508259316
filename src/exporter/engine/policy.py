"""The print policy: at most N source pages per material export, and accepted terms of use.

N is the archive's setting, never a reader's: a volume's header
(``availability/ab[@type="print-limit"]``) sets it for that volume, ``archive.json``
(``"print_limit"``) for the volumes that set none, else :data:`DEFAULT_PRINT_LIMIT`.  Only the
operator's own code can override it (``Engine(print_limit=...)``, ``ExportRequest.print_limit``).
"""

from __future__ import annotations

from ..errors import PolicyRefusal
from ..model import Document, Entry

DEFAULT_PRINT_LIMIT = 10
#: Longest annotation quote (characters) in formats that do not reproduce archive material,
#: unless archive.json sets ``annotation_quote_cap``.
DEFAULT_QUOTE_CAP = 300
#: Appended to a quote that was cut.
CUT_MARK = "\u2026"


def print_limit(entries: list[Entry], archive_limit: int | None,
                default: int = DEFAULT_PRINT_LIMIT) -> int:
    """The limit for a selection: each volume's own, else the archive's, else ``default``.

    A selection from several volumes gets the smallest of their limits.
    """
    archive = archive_limit if archive_limit is not None else default
    limits = {e.volume.print_limit if e.volume.print_limit is not None else archive for e in entries}
    return min(limits) if limits else archive


def page_keys(entries: list[Entry]) -> set[tuple[str, str, str]]:
    """Distinct (volume, layer, page) over the entries; overlaps and repeats count once.

    A layer with no page marker (and none inherited) counts as one page of its own.
    """
    keys: set[tuple[str, str, str]] = set()
    for entry in entries:
        for name, layer in entry.layers.items():
            if layer.pages:
                keys.update((entry.volume.id, name, p) for p in layer.pages)
            else:
                keys.add((entry.volume.id, name, f"(unpaginated {entry.local_id})"))
    return keys


def check_limit(entries: list[Entry], limit: int) -> int:
    """Return the page count, or refuse (before anything is rendered) when it exceeds ``limit``."""
    count = len(page_keys(entries))
    if count > limit:
        raise PolicyRefusal(
            f"selection has {count} source pages but the print limit is {limit}: narrow it with "
            f"--pages A-B, --layer translation|transcription, or fewer entries", pages=count, limit=limit)
    return count


def check_terms(entries: list[Entry], accepted: bool) -> None:
    if accepted:
        return
    terms = []
    for entry in entries:
        if entry.volume.terms not in terms:
            terms.append(entry.volume.terms)
    text = " / ".join(terms) or "the archive's terms of use"
    raise PolicyRefusal(f"this format reproduces archive material: accept the terms with --accept-terms. Terms: {text}")


def cap_text(text: str, cap: int | None, keep_end: bool = False) -> tuple[str, bool]:
    """``text`` cut to ``cap`` characters (the cut marked with an ellipsis), and whether it was cut."""
    if cap is None or len(text) <= cap:
        return text, False
    if keep_end:
        return CUT_MARK + text[len(text) - cap + 1:], True
    return text[:cap - 1] + CUT_MARK, True


def cap_quotes(doc: Document, cap: int | None = DEFAULT_QUOTE_CAP) -> None:
    """Cap each annotation's quote, and its prefix and suffix, at ``cap`` characters.

    Formats that do not reproduce archive material (annotation exports, citations) print quotes
    without the print limit or the terms of use, so a quote covering whole entries would carry a
    volume's text out.  A cut quote ends with an ellipsis and has ``quote_cut`` set; the
    prefix keeps its end and the suffix its start (the text next to the quote).
    """
    if cap is None:
        return
    for ann in doc.annotations:
        ann.exact, cut = cap_text(ann.exact, cap)
        ann.quote_cut = ann.quote_cut or cut
        ann.prefix, _ = cap_text(ann.prefix, cap, keep_end=True)
        ann.suffix, _ = cap_text(ann.suffix, cap)
