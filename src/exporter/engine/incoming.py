"""Checking an annotation a reader sends (W3C Web Annotation JSON-LD) before it is stored.

:func:`check_annotation` accepts the client's JSON-LD and returns the document to store: the
same JSON-LD the ``annotations-jsonld`` export writes (``annotation_object``), with the creator
set from the reader's identity, the selectors re-computed from where the passage was found, and
the source page.  Anything it cannot accept raises :class:`Rejected` with an HTTP status and a
one-line reason: 400 for what is not an annotation, 403 for what the reader may not do, 422 for
a target or selector that does not find its passage.  Nothing is stored on a rejection.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..model import Annotation, Corpus, Document, Entry, Selection
from ..registry import Format
from ..sources.annotations import VISIBILITIES
from . import access, anchor

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: Longest body text or tag accepted (characters).
MAX_TEXT = 20_000
MAX_TAGS = 50
#: Control characters a body may not carry (tab, line feed and carriage return are text).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class Rejected(ValueError):
    """The annotation cannot be stored; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Checked:
    """An accepted annotation: the document to store and where it lies."""

    document: dict[str, Any]
    entry: Entry
    layer: str
    visibility: str
    group: str | None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Rejected(400, f"{what} must be a string")
    if len(value) > MAX_TEXT:
        raise Rejected(413, f"{what} is longer than {MAX_TEXT} characters")
    if _CONTROL.search(value):
        raise Rejected(400, f"{what} contains a control character")
    return value


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def check_annotation(data: Any, *, corpus: Corpus, volume: str, user: str, writer: Format,
                     user_name: str = "", groups: set[str] | None = None, created: str | None = None) -> Checked:
    """Accept ``data`` as a new annotation (or a replacement, with ``created`` kept) by ``user``.

    ``corpus`` gives the volumes and entries; ``user_name`` and ``groups`` (the reader's display
    name and groups) default to what the corpus's archive says.  ``writer`` is the
    ``annotations-jsonld`` format: the stored document is what it writes for the annotation."""
    if groups is None:
        groups = access.user_groups(corpus, user)
    user_name = user_name or corpus.users.get(user, user)
    if not isinstance(data, dict):
        raise Rejected(400, "the body must be a JSON object (a W3C Web Annotation)")
    contexts = _list(data.get("@context"))
    if W3C_CONTEXT not in contexts:
        raise Rejected(400, f'"@context" must include {W3C_CONTEXT}')
    if "Annotation" not in _list(data.get("type")):
        raise Rejected(400, '"type" must be "Annotation"')
    creator = data.get("creator")
    if creator is not None:
        nick = creator if isinstance(creator, str) else creator.get("nickname") if isinstance(creator, dict) else None
        if not isinstance(nick, str) or nick.rstrip("/").rsplit("/", 1)[-1] != user:
            raise Rejected(403, "an annotation can only be created as yourself (creator must be you or absent)")
    # The target: one layer of an entry of this volume, and a passage in it.
    targets = _list(data.get("target"))
    if not targets:
        raise Rejected(400, "the annotation has no target")
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise Rejected(422, "the target must be one object with a source and selectors")
    target = targets[0]
    source = target.get("source")
    if not isinstance(source, str):
        raise Rejected(422, "the target has no source (the IRI of an entry's layer)")
    entry, layer = _layer(corpus, source)
    if entry.volume.id != volume:
        raise Rejected(422, f"the target lies in volume {entry.volume.id}, not in this container ({volume})")
    text = entry.layers[layer].text
    exact, prefix, suffix, start, end = _selectors(target, text)
    # Bodies: one text (plain text only: user text is data, never markup) and tags.
    comments, tags, language = [], [], None
    if "bodyValue" in data:
        comments.append(_text(data["bodyValue"], "bodyValue"))
    for body in _list(data.get("body")):
        if not isinstance(body, dict):
            raise Rejected(422, "a body must be an embedded TextualBody")
        if "TextualBody" not in _list(body.get("type")) or "value" not in body:
            raise Rejected(422, "a body must be a TextualBody with a value")
        value = _text(body["value"], "a body value")
        if "tagging" in _list(body.get("purpose")):
            tags.append(value.strip())
            continue
        fmt = body.get("format", "text/plain")
        if fmt != "text/plain":
            raise Rejected(422, f"body format {fmt!r} is not accepted; bodies are plain text (text/plain)")
        lang = body.get("language")
        if lang is not None:
            language = _text(lang, "a body language")[:35]
        comments.append(value)
    if len(tags) > MAX_TAGS or any(not t for t in tags):
        raise Rejected(422, f"tags must be non-empty, at most {MAX_TAGS}")
    visibility = data.get("visibility", "private")
    group = data.get("group")
    if visibility not in VISIBILITIES:
        raise Rejected(422, f"visibility must be one of {', '.join(VISIBILITIES)}")
    if visibility == "group":
        if not isinstance(group, str) or not group:
            raise Rejected(422, "visibility 'group' needs a group")
        if group not in groups:
            raise Rejected(403, f"you are not a member of group {group!r}")
    else:
        group = None
    motivation = data.get("motivation", "commenting")
    motivation = motivation[0] if isinstance(motivation, list) and motivation else motivation
    if not isinstance(motivation, str) or not re.fullmatch(r"[a-z]{1,40}", motivation):
        raise Rejected(422, "motivation must be a W3C motivation such as commenting")
    stamp = now()
    ann = Annotation(id="urn:exporter:pending", entry_id=entry.id, layer=layer, exact=exact, prefix=prefix,
                     suffix=suffix, body="\n\n".join(comments), body_language=language, tags=tags,
                     creator=user, creator_name=user_name,
                     created=created or stamp, modified=stamp if created else None,
                     visibility=visibility, group=group, motivation=motivation, start=start, end=end)
    document = as_written(writer, entry, layer, ann)
    return Checked(document=document, entry=entry, layer=layer, visibility=visibility, group=group)


def as_written(writer: Format, entry: Entry, layer: str, ann: Annotation) -> dict[str, Any]:
    """The annotation as the ``annotations-jsonld`` format writes it (anchored, with its page)."""
    anchored, placed = anchor.anchor_layer(entry.layers[layer], [ann], [], entry.id)
    if not placed:
        raise Rejected(422, "the selectors do not find one passage in the layer")
    one = replace(entry, layers={layer: anchored}, annotations=placed)
    doc = Document(entries=[one], volumes=[entry.volume], selection=Selection("entries", entry.id),
                   user=ann.creator, user_name=ann.creator_name, exported_at=datetime.now(UTC),
                   annotations_mode="mine")
    out = io.BytesIO()
    writer.render(doc, out)
    written: dict[str, Any] = json.loads(out.getvalue())["first"]["items"][0]
    return written


def _layer(corpus: Corpus, source: str) -> tuple[Entry, str]:
    base, _, layer = source.rstrip("/").rpartition("/")
    # The corpus's layer targets: an indexed corpus answers them without reading every volume.
    found = corpus.layer_targets().get(f"{base}/{layer}")
    if found is not None:
        entry = found[0] if isinstance(found[0], Entry) else corpus.get(found[0].id)
        if entry is not None and layer in entry.layers:
            return entry, layer
    raise Rejected(422, f"the target source {source[:200]!r} is not a layer of an entry in this archive")


def find_passage(selectors: list[dict[str, Any]], text: str) -> tuple[str, int, int]:
    """``(exact, start, end)`` of the passage a quote and/or position selector find in ``text``."""
    exact, _prefix, _suffix, start, end = _selectors({"selector": selectors}, text)
    return exact, start, end


def _selectors(target: dict[str, Any], text: str) -> tuple[str, str, str, int, int]:
    quote = position = None
    for sel in _list(target.get("selector")):
        if not isinstance(sel, dict):
            raise Rejected(422, "a selector must be an object")
        kind = sel.get("type")
        if kind == "TextQuoteSelector" and quote is None:
            quote = sel
        elif kind == "TextPositionSelector" and position is None:
            position = sel
        else:
            raise Rejected(422, f"selector type {kind!r} is not supported (TextQuoteSelector, TextPositionSelector)")
    if quote is None and position is None:
        raise Rejected(422, "the target needs a TextQuoteSelector or a TextPositionSelector")
    start = end = -1
    if position is not None:
        s, e = position.get("start"), position.get("end")
        if not (type(s) is int and type(e) is int and 0 <= s < e <= len(text)):
            raise Rejected(422, f"TextPositionSelector {s!r}-{e!r} does not lie in the layer's text "
                                f"(0-{len(text)})")
        start, end = s, e
    if quote is None:
        return text[start:end], text[max(0, start - 32):start], text[end:end + 32], start, end
    exact = quote.get("exact")
    if not isinstance(exact, str) or not exact:
        raise Rejected(422, "the TextQuoteSelector has no exact quote")
    prefix, suffix = quote.get("prefix", ""), quote.get("suffix", "")
    if not isinstance(prefix, str) or not isinstance(suffix, str):
        raise Rejected(422, "prefix and suffix must be strings")
    probe = Annotation(id="", entry_id="", layer="", exact=exact, prefix=prefix, suffix=suffix, body="",
                       start=start, end=end)
    try:
        found = anchor.find_quote(text, probe)
    except anchor.AnchorError as exc:
        raise Rejected(422, f"the TextQuoteSelector does not find its passage: {exc}") from None
    if position is not None and found != (start, end):
        raise Rejected(422, f"the TextPositionSelector {start}-{end} and the quote (found at "
                            f"{found[0]}-{found[1]}) disagree")
    start, end = found
    return exact, text[max(0, start - 32):start], text[end:end + 32], start, end
