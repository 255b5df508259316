"""What the three annotation exports share: order, passage context, IRIs, timestamps, deep links.

Standard library only: the writers must stay fast (see ``bench/bench_annotations.py``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterator
from urllib.parse import quote

from ...model import Annotation, Document, Entry

#: Characters of layer text kept on each side of a quote (TextQuoteSelector prefix/suffix).
CONTEXT_CHARS = 32
#: Words a text fragment uses for a long quote's start and end, and for its prefix/suffix.
FRAGMENT_WORDS = 4
#: Motivations derived from the content; any other W3C motivation read from a file is kept.
DERIVED_MOTIVATIONS = ("commenting", "tagging", "highlighting")
W3C_MOTIVATIONS = frozenset((
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
))

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_CLEAN_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|\\^`\x7f]*")
# RFC 3987 excludes these from IRIs (plus controls and space, checked below).
_NOT_IRI = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def entries_in_order(doc: Document) -> list[Entry]:
    """The document's entries in volume order (a ``--entries`` list may name them in any order)."""
    return sorted(doc.entries, key=lambda e: e.order)


def annotation_count(doc: Document) -> int:
    return sum(len(e.annotations) for e in doc.entries)


def passages(doc: Document) -> Iterator[tuple[Entry, Annotation, str, str]]:
    """Yield ``(entry, annotation, prefix, suffix)`` in volume order, then layer and text order.

    Prefix and suffix are recomputed from the layer text (``CONTEXT_CHARS`` each side) when the
    exported layer is complete.  With ``--pages`` the exported layer is cut down while the
    annotation's positions still count in the full layer, so the prefix and suffix read from the
    annotation's source are kept instead: either way they agree with the full layer text.
    """
    narrowed = doc.selection.pages is not None
    for entry in entries_in_order(doc):
        if not entry.annotations:
            continue
        layers = entry.layers  # hoisted: read once per entry, not per annotation
        texts: dict[str, str] = {}
        for ann in entry.annotations:
            start = ann.start
            if not narrowed and start >= 0:
                layer = ann.layer
                text = texts.get(layer)
                if text is None and layer in layers:
                    text = texts[layer] = layers[layer].text
                if text is not None:
                    end = ann.end
                    if text[start:end] == ann.exact:
                        # A conditional, not max(): a builtin call per annotation shows in the benchmark.
                        yield entry, ann, text[start - CONTEXT_CHARS if start > CONTEXT_CHARS else 0:start], \
                            text[end:end + CONTEXT_CHARS]
                        continue
            yield entry, ann, ann.prefix, ann.suffix


def motivation(ann: Annotation) -> str:
    """``commenting`` with a body text, ``tagging`` with tags only, ``highlighting`` with neither.

    A more specific W3C motivation read from the source (``questioning``, ``bookmarking``, ...) is
    kept as long as the annotation has a body or tags.
    """
    if ann.motivation not in DERIVED_MOTIVATIONS and ann.motivation in W3C_MOTIVATIONS and (ann.body or ann.tags):
        return ann.motivation
    if ann.body:
        return "commenting"
    return "tagging" if ann.tags else "highlighting"


def as_iri(value: str, namespace: str = "urn:exporter:annotation:") -> str:
    """``value`` as an absolute IRI: kept when it is one, percent-encoded where needed, else a URN."""
    if _CLEAN_IRI.fullmatch(value):
        return value
    if _SCHEME.match(value):
        if not _NOT_IRI.search(value):
            return value
        return _NOT_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), value)
    return namespace + quote(value, safe="")


def timestamp(value: object) -> str | None:
    """An RFC 3339 date-time for ``created``/``modified``, or ``None`` when there is none.

    A value that already is RFC 3339 is kept as written; other ISO 8601 forms are converted
    (a missing zone is taken as UTC); anything else gives ``None``.
    """
    if not isinstance(value, str) or not value:
        return None
    if _RFC3339.match(value):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class _PercentTable(dict):
    """``str.translate`` table for text-fragment terms, filled as characters are met.

    Unreserved ASCII characters stay; everything else (including ``-``, ``,`` and ``&``, which
    text fragments use as syntax) becomes its percent-encoded UTF-8.
    """

    def __missing__(self, code: int) -> str:
        value = "".join(f"%{b:02X}" for b in chr(code).encode("utf-8", "surrogatepass"))
        self[code] = value
        return value


_PCT = _PercentTable((ord(c), c) for c in
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~")


def _fragment_part(text: str) -> str:
    return text.translate(_PCT)


# Placeholders for the text-fragment syntax characters while the terms are percent-encoded in
# one pass (C0 controls never reach the model: see exporter.textnorm).
_DASH, _COMMA = "\x01", "\x02"
_PCT[1], _PCT[2] = "-", ","
# Fast path: ASCII made only of these is encoded with a few str.replace calls (several times
# faster than str.translate with multi-character replacements).
_COMMON = re.compile(r"[A-Za-z0-9_.~ ,;:'\"?!()\x01\x02-]*")
_COMMON_CODES = tuple((c, _PCT[ord(c)]) for c in "-, ;:'\"?!()")


# Fast path for the commonest case: words of letters and digits only (spaces and the two
# placeholders aside): three replace calls instead of the loop below.
_SIMPLE = re.compile(r"[A-Za-z0-9_.~ \x01\x02]*")


def _encode_fragment(raw: str) -> str:
    if _SIMPLE.fullmatch(raw):
        return raw.replace(" ", "%20").replace(_DASH, "-").replace(_COMMA, ",")
    if _COMMON.fullmatch(raw):
        for char, code in _COMMON_CODES:
            if char in raw:
                raw = raw.replace(char, code)
        return raw.replace(_DASH, "-").replace(_COMMA, ",")
    return raw.translate(_PCT)


def text_fragment(exact: str, prefix: str, suffix: str) -> str:
    """A URL text fragment (``:~:text=``) that finds the quote in the rendered entry page.

    Browsers match text fragments on whole words within a block, so a quote that spans blocks
    or is long is given as its first and last words (``textStart,textEnd``); the prefix and
    suffix are the whole words next to the quote in the same block.
    """
    if "\n" in exact:
        lines = [ln for ln in exact.split("\n") if ln and not ln.isspace()]
        if not lines:
            return ":~:text=" + _fragment_part(exact.strip())
        first, last = lines[0].split(), lines[-1].split()
        raw = " ".join(first[:FRAGMENT_WORDS]) + _COMMA + " ".join(last[-FRAGMENT_WORDS:])
    else:
        words = exact.split()
        if not words:
            return ":~:text=" + _fragment_part(exact.strip())
        if len(words) <= 2 * FRAGMENT_WORDS:
            raw = " ".join(words)
        else:
            raw = f"{' '.join(words[:FRAGMENT_WORDS])}{_COMMA}{' '.join(words[-FRAGMENT_WORDS:])}"
    # f-strings below rather than "+" chains: one allocation instead of several, per link.
    cut = prefix.rfind("\n")
    if cut < 0:
        pre = prefix.split()
        if pre and len(prefix) >= CONTEXT_CHARS and not prefix[0].isspace():
            del pre[0]  # the first word may be cut off
    else:
        pre = prefix[cut + 1:].split()
    if pre:
        raw = f"{' '.join(pre[-FRAGMENT_WORDS:])}{_DASH}{_COMMA}{raw}"
    cut = suffix.find("\n")
    if cut < 0:
        post = suffix.split()
        if post and len(suffix) >= CONTEXT_CHARS and not suffix[-1].isspace():
            del post[-1]  # the last word may be cut off
    else:
        post = suffix[:cut].split()
    if post:
        raw = f"{raw}{_COMMA}{_DASH}{' '.join(post[:FRAGMENT_WORDS])}"
    if _SIMPLE.fullmatch(raw):  # _encode_fragment's fast path, inlined (one call less per link)
        return f":~:text={raw.replace(' ', '%20').replace(_DASH, '-').replace(_COMMA, ',')}"
    return ":~:text=" + _encode_fragment(raw)


def entry_link(entry: Entry) -> str:
    """The entry's IRI, as the base of its deep links."""
    return as_iri(entry.iri, "urn:exporter:entry:")


def deep_link(entry: Entry, ann: Annotation, prefix: str, suffix: str, base: str | None = None) -> str:
    """The entry's IRI (``base``, when the caller has it) with a text fragment for the passage."""
    return f"{base or entry_link(entry)}#{text_fragment(ann.exact, prefix, suffix)}"
