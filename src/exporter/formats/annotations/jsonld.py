"""``annotations-jsonld``: a W3C Web Annotation ``AnnotationCollection``, written as it goes.

The collection embeds one ``AnnotationPage`` (``first``) whose ``items`` are the annotations,
one per line.  Every annotation carries its own ``@context`` (the W3C context plus the archive's
extension context for ``visibility``, ``group`` and ``page``), so each one can be taken out and
used alone.  See ``docs/annotations.md``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from json.encoder import encode_basestring as _s  # the C string encoder json.dumps uses
from typing import Any, BinaryIO

from ...model import Annotation, Document, Entry
from ...registry import RenderInfo
from ...view import EXTENSION_CONTEXT_IRI, VISIBILITIES
from .common import annotation_count, as_iri, entries_in_order, motivation, passages, timestamp

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
CONTEXT = [W3C_CONTEXT, EXTENSION_CONTEXT_IRI]
#: Body language when the source does not say (BCP 47 "undetermined").
UNKNOWN_LANGUAGE = "und"
_FLUSH_CHARS = 1 << 16

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) and value else default


def annotation_object(entry: Entry, ann: Annotation, prefix: str, suffix: str,
                      warnings: list[str] | None = None) -> dict[str, Any]:
    """One annotation as a W3C Web Annotation JSON-LD object."""
    why = motivation(ann)
    obj: dict[str, Any] = {"@context": CONTEXT, "id": as_iri(ann.id), "type": "Annotation", "motivation": why}
    for key in ("created", "modified"):
        raw = getattr(ann, key)
        value = timestamp(raw)
        if value:
            obj[key] = value
        elif raw and warnings is not None:
            warnings.append(f"annotation {ann.id}: {key} {raw!r} is not a date-time; left out")
    if ann.creator or ann.creator_name:
        creator: dict[str, Any] = {"type": "Person"}
        if ann.creator:
            creator["nickname"] = ann.creator
        if ann.creator_name:
            creator["name"] = ann.creator_name
        obj["creator"] = creator
    bodies: list[dict[str, Any]] = []
    if ann.body:
        bodies.append({"type": "TextualBody", "value": ann.body, "format": _text(ann.body_format, "text/plain"),
                       "language": _text(ann.body_language, UNKNOWN_LANGUAGE), "purpose": why})
    for tag in ann.tags:
        bodies.append({"type": "TextualBody", "value": tag, "purpose": "tagging"})
    if bodies:
        obj["body"] = bodies if len(bodies) > 1 else bodies[0]
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": ann.exact}
    if prefix:
        quote["prefix"] = prefix
    if suffix:
        quote["suffix"] = suffix
    selectors: list[dict[str, Any]] = [quote]
    if ann.start >= 0:
        selectors.append({"type": "TextPositionSelector", "start": ann.start, "end": ann.end})
    target: dict[str, Any] = {
        "type": "SpecificResource",
        "source": as_iri(entry.layer_iri(ann.layer), "urn:exporter:layer:"),
        "scope": as_iri(entry.iri, "urn:exporter:entry:"),
        "selector": selectors,
    }
    if ann.page:
        target["page"] = ann.page
    obj["target"] = target
    obj["visibility"] = ann.visibility
    if ann.visibility == "group" and ann.group:
        obj["group"] = ann.group
    return obj


_VISIBILITY = {v: f'"{v}"' for v in VISIBILITIES}
_HEAD = '{"@context":' + _dumps(CONTEXT) + ',"id":'


def target_head(entry: Entry, layer: str) -> str:
    """The start of a target on ``entry``'s ``layer``, up to the quote (the same for its annotations)."""
    return (',"target":{"type":"SpecificResource","source":'
            + _s(as_iri(entry.layer_iri(layer), "urn:exporter:layer:"))
            + ',"scope":' + _s(as_iri(entry.iri, "urn:exporter:entry:"))
            + ',"selector":[{"type":"TextQuoteSelector","exact":')


def annotation_json(entry: Entry, ann: Annotation, prefix: str, suffix: str,
                    warnings: list[str] | None = None, head: str | None = None) -> str:
    """``annotation_object`` serialised compactly, byte for byte, without building the dicts.

    The writer's hot path (see ``bench/bench_annotations.py``); the tests check that it equals
    the compact JSON of :func:`annotation_object`.  ``head`` is :func:`target_head` for the
    annotation's entry and layer, when the caller keeps it.
    """
    why = "commenting" if ann.body and ann.motivation == "commenting" else motivation(ann)
    parts = [_HEAD, _s(as_iri(ann.id)), ',"type":"Annotation","motivation":"', why, '"']
    created, modified = timestamp(ann.created), timestamp(ann.modified)
    if created:
        parts += [',"created":', _s(created)]
    if modified:
        parts += [',"modified":', _s(modified)]
    if warnings is not None and ((ann.created and not created) or (ann.modified and not modified)):
        for key, raw, value in (("created", ann.created, created), ("modified", ann.modified, modified)):
            if raw and not value:
                warnings.append(f"annotation {ann.id}: {key} {raw!r} is not a date-time; left out")
    if ann.creator or ann.creator_name:
        parts.append(',"creator":{"type":"Person"')
        if ann.creator:
            parts += [',"nickname":', _s(ann.creator)]
        if ann.creator_name:
            parts += [',"name":', _s(ann.creator_name)]
        parts.append("}")
    bodies = []
    if ann.body:
        bodies.append('{"type":"TextualBody","value":' + _s(ann.body) + ',"format":'
                      + _s(_text(ann.body_format, "text/plain")) + ',"language":'
                      + _s(_text(ann.body_language, UNKNOWN_LANGUAGE)) + ',"purpose":"' + why + '"}')
    for tag in ann.tags:
        bodies.append('{"type":"TextualBody","value":' + _s(tag) + ',"purpose":"tagging"}')
    if bodies:
        parts += [',"body":', bodies[0] if len(bodies) == 1 else "[" + ",".join(bodies) + "]"]
    parts += [head or target_head(entry, ann.layer), _s(ann.exact)]
    if prefix:
        parts += [',"prefix":', _s(prefix)]
    if suffix:
        parts += [',"suffix":', _s(suffix)]
    parts.append("}")
    if ann.start >= 0:
        parts.append(',{"type":"TextPositionSelector","start":%d,"end":%d}' % (ann.start, ann.end))
    parts.append("]")
    if ann.page:
        parts += [',"page":', _s(ann.page)]
    vis = ann.visibility
    parts += ['},"visibility":', _VISIBILITY.get(vis) or _s(vis)]
    if ann.visibility == "group" and ann.group:
        parts += [',"group":', _s(ann.group)]
    parts.append("}")
    return "".join(parts)


def collection_id(doc: Document) -> str:
    """A stable IRI for the collection: the same annotations give the same id."""
    digest = hashlib.sha1()
    for entry in entries_in_order(doc):
        for ann in entry.annotations:
            digest.update(ann.id.encode("utf-8"))
            digest.update(b"\n")
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "exporter-annotations:" + digest.hexdigest()))


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write the collection, streaming the annotations (memory does not grow with their number)."""
    from ... import __version__

    warnings: list[str] = []
    total = annotation_count(doc)
    coll = collection_id(doc)
    page = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, coll + "/page/1"))
    meta: dict[str, Any] = {
        "@context": CONTEXT, "id": coll, "type": "AnnotationCollection",
        "label": f"Annotations: {doc.title}", "total": total,
        "generator": {"type": "Software", "name": f"archive-exporter {__version__}"},
        "generated": timestamp(doc.exported_at.isoformat()),
    }
    text = json.dumps(meta, ensure_ascii=False, indent=1)
    if total == 0:  # an AnnotationPage must have items: an empty collection has no page
        out.write(text.encode("utf-8") + b"\n")
        return RenderInfo(warnings=warnings)
    head_text = text[:-2] + ',\n "last": ' + json.dumps(page) + ',\n "first": {"id": ' + json.dumps(page) + \
        ', "type": "AnnotationPage", "startIndex": 0, "items": [\n'
    out.write(head_text.encode("utf-8"))
    chunk: list[str] = []
    size = 0
    first = True
    current, heads = None, {}
    for entry, ann, prefix, suffix in passages(doc):
        if entry is not current:
            current, heads = entry, {}
        head = heads.get(ann.layer)
        if head is None:
            head = heads[ann.layer] = target_head(entry, ann.layer)
        line = annotation_json(entry, ann, prefix, suffix, warnings, head)
        chunk.append(line if first else ",\n" + line)
        first = False
        size += len(line)
        if size >= _FLUSH_CHARS:
            out.write("".join(chunk).encode("utf-8"))
            chunk.clear()
            size = 0
    chunk.append("\n]}\n}\n")
    out.write("".join(chunk).encode("utf-8"))
    return RenderInfo(warnings=warnings)
