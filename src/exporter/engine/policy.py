"""The print policy: at most N source pages per material export, and accepted terms of use."""

from __future__ import annotations

from ..errors import PolicyRefusal
from ..model import Entry

DEFAULT_PRINT_LIMIT = 10


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
