"""``json``: the assembled document model, for programs (the model's own serialisation)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from .. import hookimpl
from ..model import (
    AnnotationEnd,
    AnnotationStart,
    Annotation,
    Document,
    Entry,
    Inline,
    NoteRef,
    PageBreak,
    Person,
    Text,
    Volume,
)
from ..registry import Format


def _person(p: Person) -> dict[str, Any]:
    return {k: v for k, v in (("literal", p.literal), ("family", p.family), ("given", p.given),
                              ("name", p.display)) if v}


def _inline(item: Inline) -> dict[str, Any]:
    if isinstance(item, Text):
        out: dict[str, Any] = {"type": "text", "text": item.text}
        if item.styles:
            out["styles"] = sorted(item.styles)
        return out
    if isinstance(item, NoteRef):
        return {"type": "note", "id": item.note.id, "label": item.note.label}
    if isinstance(item, PageBreak):
        return {"type": "page", "label": item.label, **({"facs": item.facs} if item.facs else {})}
    if isinstance(item, AnnotationStart):
        return {"type": "annotation-start", "id": item.annotation.id}
    if isinstance(item, AnnotationEnd):
        return {"type": "annotation-end", "id": item.annotation.id}
    raise TypeError(f"unknown inline {type(item).__name__}")


def annotation_dict(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id, "layer": a.layer, "exact": a.exact, "start": a.start, "end": a.end, "page": a.page,
        "body": a.body, "tags": a.tags, "creator": a.creator, "creator_name": a.creator_name,
        "visibility": a.visibility, "group": a.group, "created": a.created, "modified": a.modified,
        "motivation": a.motivation, "number": a.number,
    }


def volume_dict(v: Volume) -> dict[str, Any]:
    return {
        "id": v.id, "title": v.title, "editors": [_person(p) for p in v.editors], "publisher": v.publisher,
        "place": v.place, "year": v.year, "series": v.series, "identifier": v.identifier,
        "languages": v.languages, "terms": v.terms, "url": v.base_url,
    }


def entry_dict(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id, "qualified_id": e.qualified_id, "volume": e.volume.id, "title": e.title,
        "heading": [_inline(i) for i in e.heading], "kind": e.kind, "genre": e.genre, "number": e.number,
        "date": e.date.iso, "date_text": e.date.text, "date_approximate": e.date.approximate,
        "place": e.place, "authors": [_person(p) for p in e.authors],
        "recipients": [_person(p) for p in e.recipients], "repository": e.repository,
        "archival_id": e.archival_id, "description": e.description, "language": e.language,
        "url": e.iri, "pages": e.pages(),
        "citation": {"style": e.citation.style, "note": e.citation.note,
                     "bibliography": e.citation.bibliography} if e.citation else None,
        "notes": [{"id": n.id, "label": n.label, "layer": n.layer, "text": n.text} for n in e.notes],
        "annotations": [annotation_dict(a) for a in e.annotations],
        "layers": {
            name: {"language": lay.language, "pages": lay.pages,
                   "blocks": [{"kind": b.kind, "inlines": [_inline(i) for i in b.inlines]} for b in lay.blocks]}
            for name, lay in e.layers.items()
        },
    }


def document_dict(doc: Document) -> dict[str, Any]:
    return {
        "exporter": "archive-exporter",
        "title": doc.title,
        "exported_at": doc.exported_at.isoformat(),
        "user": doc.user,
        "selection": doc.selection.describe(),
        "source_pages": doc.source_pages,
        "volumes": [volume_dict(v) for v in doc.volumes],
        "entries": [entry_dict(e) for e in doc.entries],
        "warnings": doc.warnings,
    }


def render(doc: Document, out: BinaryIO) -> None:
    out.write(json.dumps(document_dict(doc), ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b"\n")


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="json", media_type="application/json", extension="json", render=render,
                    material=True, citations=True, description="The assembled document model as JSON"))
