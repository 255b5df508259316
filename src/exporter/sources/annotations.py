"""Reading W3C Web Annotation JSON-LD files (the corpus's reader annotations).

A file holds one annotation, a JSON array of annotations, an ``AnnotationPage`` or an
``AnnotationCollection`` (with ``first`` as a page or a list of pages).  Each annotation's
target ``source`` is a layer IRI (``<volume base>/<entry id>/<layer>``); its selectors are a
``TextQuoteSelector`` and optionally a ``TextPositionSelector``.  The archive's visibility is
the extension term ``visibility`` (``private`` | ``group`` | ``public``) with ``group``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..model import Annotation, EntrySummary
from ..textnorm import Cleaner
from ..view import VISIBILITIES
from . import safejson
from .schema import SchemaError, load_schema, validate

#: Largest annotation file read (bytes).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Most ``next`` pages followed inside one file.
MAX_PAGES = 10_000

#: Who may see a message about an annotation: (creator, visibility, group).
Owner = tuple[str, str, "str | None"]


def _items(data: Any) -> Iterator[dict]:
    """The annotations of a file already checked against ``annotation-file.schema.json``."""
    if isinstance(data, list):
        yield from data
        return
    kinds = _as_list(data.get("type"))
    if "AnnotationCollection" in kinds:
        first = data.get("first", [])
        pages = first if isinstance(first, list) else [first]
    elif "AnnotationPage" in kinds:
        pages = [data]
    else:
        yield data
        return
    for page in pages:
        seen = 0
        while isinstance(page, dict) and seen < MAX_PAGES:
            validate(page, _PAGE_SCHEMA)  # an embedded ``next`` page is checked like the first
            yield from page.get("items", [])
            page = page.get("next")
            seen += 1


def _page_schema() -> dict:
    schema = load_schema("annotation-file")
    return {**schema["$defs"]["page"], "$defs": schema["$defs"]}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nickname(creator: Any) -> tuple[str, str]:
    if isinstance(creator, list):
        creator = creator[0] if creator else None
    if isinstance(creator, str):
        return creator.rstrip("/").rsplit("/", 1)[-1], ""
    if isinstance(creator, dict):
        nick = creator.get("nickname") or str(creator.get("id", "")).rstrip("/").rsplit("/", 1)[-1]
        name = creator.get("name") or ""
        return str(nick), str(name if not isinstance(name, list) else name[0])
    return "", ""


def owner_of(item: Any) -> Owner | None:
    """The creator, visibility and group of a raw annotation, when they can be told safely."""
    if not isinstance(item, dict):
        return None
    visibility = item.get("visibility", "private")
    group = item.get("group")
    if visibility not in VISIBILITIES or (group is not None and not isinstance(group, str)):
        return None
    if visibility == "group" and not group:
        return None
    try:
        creator, _ = _nickname(item.get("creator"))
    except (TypeError, AttributeError, IndexError):
        return None
    if visibility == "private" and not creator:
        return None
    return (creator, visibility, group)


def read_annotations(path: Path, layer_index: Mapping[str, tuple[EntrySummary, str]], cleaner: Cleaner,
                     warnings: list[str], owned: list[tuple[Owner, str]] | None = None) -> list[Annotation]:
    """Read one JSON-LD file, checked against the annotation schemas.

    A file that cannot be read safely is left out with a warning in ``warnings``.  An annotation
    that fails its schema or names an unknown target is left out with a warning in ``owned``,
    tagged with who may see it (a reader never learns of another reader's private annotations);
    annotations whose owner cannot be told are only counted in ``warnings``.
    """
    owned = owned if owned is not None else []
    try:
        data = safejson.load(path, MAX_FILE_BYTES)
        validate(data, "annotation-file")
        items = list(_items(data))
    except (safejson.JSONFileError, SchemaError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        warnings.append(f"{path.name}: annotation file left out: {reason}")
        return []
    found = []
    hidden = 0
    for n, item in enumerate(items, 1):
        try:
            validate(item, "annotation")
            ann = parse_annotation(item, layer_index, cleaner, str(path))
        except ValueError as exc:
            owner = owner_of(item)
            if owner is None:
                hidden += 1
                continue
            ann_id = item.get("id") or item.get("@id") or n
            owned.append((owner, f"{path.name}: annotation {cleaner.clean(str(ann_id))[:200]}: "
                                         f"{exc}; left out"))
            continue
        found.append(ann)
    if hidden:
        warnings.append(f"{path.name}: {hidden} annotation{'s' if hidden > 1 else ''} could not be read "
                        f"(no valid visibility or creator) and {'were' if hidden > 1 else 'was'} left out")
    return found


def parse_annotation(item: dict, layer_index: Mapping[str, tuple[EntrySummary, str]],
                     cleaner: Cleaner, origin: str = "") -> Annotation:
    """Turn one JSON-LD annotation into a model :class:`Annotation` (not yet anchored)."""
    c = cleaner.clean
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    ann_id = item.get("id") or item.get("@id")
    if not isinstance(ann_id, str) or not ann_id:
        raise ValueError("has no id")
    targets = _as_list(item.get("target"))
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise ValueError("needs exactly one target with a source and selectors")
    target = targets[0]
    source = str(target.get("source", ""))
    if source not in layer_index:
        raise ValueError(f"targets unknown source {source!r}")
    entry, layer = layer_index[source]
    quote, position = None, None
    for sel in _as_list(target.get("selector")):
        if not isinstance(sel, dict):
            continue
        if sel.get("type") == "TextQuoteSelector":
            quote = sel
        elif sel.get("type") == "TextPositionSelector":
            position = sel
    if quote is None or not isinstance(quote.get("exact"), str) or not quote["exact"]:
        raise ValueError("has no TextQuoteSelector with an exact quote")
    body_texts, tags, fmt, lang = [], [], "text/plain", None
    if isinstance(item.get("bodyValue"), str):
        body_texts.append(item["bodyValue"])
    for body in _as_list(item.get("body")):
        if isinstance(body, str):
            continue  # an external body IRI: nothing to print
        if not isinstance(body, dict) or "value" not in body:
            continue
        value = str(body["value"])
        purposes = _as_list(body.get("purpose"))
        if "tagging" in purposes:
            tags.append(c(value))
        else:
            body_texts.append(value)
            fmt = body.get("format", fmt)
            lang = body.get("language", lang)
    creator, creator_name = _nickname(item.get("creator"))
    visibility = item.get("visibility", "private")
    group = item.get("group")
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r}")
    if visibility == "group" and not group:
        raise ValueError("visibility 'group' without a group")
    start = end = -1
    if position is not None:
        try:
            start, end = int(position["start"]), int(position["end"])
        except (KeyError, TypeError, ValueError):
            start = end = -1
    motivation = item.get("motivation", "commenting")
    if isinstance(motivation, list):
        motivation = motivation[0] if motivation else "commenting"
    return Annotation(
        id=c(ann_id), entry_id=entry.id, layer=layer,
        exact=c(quote["exact"]), prefix=c(str(quote.get("prefix", ""))), suffix=c(str(quote.get("suffix", ""))),
        body=c("\n\n".join(body_texts)), body_format=str(fmt), body_language=lang,
        tags=tags, creator=c(creator), creator_name=c(creator_name),
        created=item.get("created"), modified=item.get("modified"),
        visibility=visibility, group=c(group) if group else None, motivation=str(motivation),
        start=start, end=end, origin=origin, source=source,
    )


_PAGE_SCHEMA = _page_schema()
