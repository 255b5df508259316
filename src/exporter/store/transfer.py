"""``exporter store import`` and ``export``: a corpus folder's archive.json and annotation
files into the store, and back out as the same files.

Import is idempotent: users, groups, memberships, folders and annotations already in the store
(by name, by scope and name, by annotation IRI) are left as they are, so running it twice adds
nothing.  Export writes ``archive.json`` and one JSON array per annotation file of origin
(``annotations/<creator>.jsonld`` for annotations created live), each annotation as stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..engine.output import write_atomic
from ..errors import CorpusError
from ..sources.annotations import _items, parse_annotation
from ..sources.corpus import ARCHIVE_FILE, load_corpus
from ..textnorm import Cleaner
from . import models as m
from .writes import _bump, slug_of

if TYPE_CHECKING:
    from .api import Store

ROLES = ("reader", "moderator")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: not a readable JSON file: {exc}") from None


def import_corpus(store: Store, path: Path, engine=None) -> dict[str, int]:
    """Load ``path``'s archive.json and annotation files into ``store``; returns counts."""
    from ..plugins import load_plugins

    path = Path(path)
    if not path.is_dir():
        raise CorpusError(f"{path}: store import needs a corpus folder (volumes, archive.json, annotations/)")
    sources = engine.plugins.sources if engine is not None else load_plugins().sources
    corpus = load_corpus(path, sources)  # the volumes: annotation targets are checked against them
    layer_index = {e.layer_iri(name): (e, name) for e in corpus.entries for name in e.layers}
    archive = _read_json(path / ARCHIVE_FILE) if (path / ARCHIVE_FILE).exists() else {}
    if not isinstance(archive, dict):
        raise CorpusError(f"{path / ARCHIVE_FILE}: not a valid archive file: expected an object")
    files = sorted(path.glob("*.jsonld")) + sorted((path / "annotations").glob("*.jsonld"))
    items: list[tuple[str, dict]] = []
    warnings: list[str] = []
    cleaner = Cleaner()
    for file in files:
        origin = file.relative_to(path).as_posix()
        for n, item in enumerate(_items(_read_json(file)), 1):
            try:
                ann = parse_annotation(item, layer_index, cleaner, origin)
            except ValueError as exc:
                label = item.get("id", n) if isinstance(item, dict) else n
                warnings.append(f"{origin}: annotation {label}: {exc}; not imported")
                continue
            entry, layer = layer_index[ann.source]
            items.append((origin, {"doc": item, "volume": entry.volume.id, "entry": entry.local_id,
                                   "layer": layer, "creator": ann.creator, "visibility": ann.visibility,
                                   "group": ann.group}))

    def work(s: Session) -> dict[str, int]:
        counts = {"users": 0, "groups": 0, "memberships": 0, "folders": 0, "annotations": 0,
                  "unchanged": 0, "bookmarks": 0, "reports": 0}
        try:
            _import_archive(s, archive, counts)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise CorpusError(f"{path / ARCHIVE_FILE}: not a valid archive file: "
                              f"{type(exc).__name__}: {exc}") from None
        known = set(s.scalars(select(m.Annotation.iri)))
        slugs: dict[str, set[str]] = {}
        for vol, slug in s.execute(select(m.Annotation.volume, m.Annotation.slug)):
            slugs.setdefault(vol, set()).add(slug)
        for origin, a in items:
            doc = a["doc"]
            iri = str(doc.get("id") or doc.get("@id"))
            if iri in known:
                counts["unchanged"] += 1
                continue
            taken = slugs.setdefault(a["volume"], set())
            base = slug = slug_of(iri)
            n = 1
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
            taken.add(slug)
            known.add(iri)
            s.add(m.Annotation(iri=iri, volume=a["volume"], slug=slug, entry=a["entry"], layer=a["layer"],
                               creator=a["creator"], visibility=a["visibility"], group_name=a["group"],
                               created=_str(doc.get("created")), modified=_str(doc.get("modified")),
                               version=1, hidden=iri in set(archive.get("moderation", {}).get("hidden", [])),
                               origin=origin, document=json.dumps(doc, ensure_ascii=False)))
            counts["annotations"] += 1
        s.flush()
        _import_moderation(s, archive, counts)
        if any(v for k, v in counts.items() if k != "unchanged"):
            _bump(s)
        return counts

    counts = store.db.write(work)
    counts["warnings"] = len(warnings)
    counts["skipped"] = len(warnings)
    store.last_warnings = warnings
    return counts


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _import_archive(s: Session, archive: dict, counts: dict[str, int]) -> None:
    users = archive.get("users", {})
    for name, info in users.items():
        info = info if isinstance(info, dict) else {}
        role = info.get("role", "reader")
        if role not in ROLES:
            raise ValueError(f"user {name!r}: unknown role {role!r} (expected {' or '.join(ROLES)})")
        if s.get(m.User, name) is None:
            s.add(m.User(name=name, display_name=str(info.get("name", name)), role=role))
            counts["users"] += 1
    s.flush()
    for name, info in archive.get("groups", {}).items():
        if s.get(m.Group, name) is None:
            s.add(m.Group(name=name, title=str(info.get("name", name))))
            counts["groups"] += 1
        s.flush()
        for i, member in enumerate(info.get("members", [])):
            if s.get(m.User, member) is None:
                s.add(m.User(name=member, display_name=member, role="reader"))
                s.flush()
            if s.get(m.Membership, (name, member)) is None:
                s.add(m.Membership(group_name=name, user_name=member, position=i))
                counts["memberships"] += 1
    s.flush()
    position = len(list(s.scalars(select(m.Folder.pk))))
    for f in archive.get("folders", []):
        owner, group = f.get("owner"), f.get("group")
        if not owner and not group:
            raise ValueError(f"folder {f['name']!r} has neither an owner nor a group")
        scope = f"group:{group}" if group else f"user:{owner}"
        if s.scalar(select(m.Folder.pk).where(m.Folder.scope == scope, m.Folder.name == f["name"])):
            continue
        if group and s.get(m.Group, group) is None:
            s.add(m.Group(name=group, title=group))
            s.flush()
        folder = m.Folder(scope=scope, name=f["name"], title=str(f.get("title", f["name"])),
                          owner=None if group else owner, group_name=group, position=position)
        position += 1
        s.add(folder)
        s.flush()
        for i, entry in enumerate(f.get("entries", [])):
            s.add(m.FolderEntry(folder_pk=folder.pk, position=i, entry=str(entry)))
        counts["folders"] += 1
    s.flush()


def _import_moderation(s: Session, archive: dict, counts: dict[str, int]) -> None:
    existing = {(b.owner, b.entry, b.layer, b.exact, b.start, b.end, b.created)
                for b in s.scalars(select(m.Bookmark))}
    for b in archive.get("bookmarks", []):
        key = (b["owner"], b["entry"], b.get("layer"), b.get("exact"), b.get("start"), b.get("end"), b["created"])
        if key in existing:
            continue
        existing.add(key)
        s.add(m.Bookmark(owner=b["owner"], entry=b["entry"], layer=b.get("layer"), exact=b.get("exact"),
                         start=b.get("start"), end=b.get("end"), label=b.get("label", ""), created=b["created"]))
        counts["bookmarks"] += 1
    reports = archive.get("moderation", {}).get("reports", [])
    if reports:
        pks = dict(s.execute(select(m.Annotation.iri, m.Annotation.pk)).all())
        have = {(r.annotation_pk, r.reporter, r.created, r.text) for r in s.scalars(select(m.Report))}
        for r in reports:
            pk = pks.get(r["annotation"])
            if pk is None or (pk, r["reporter"], r["created"], r["text"]) in have:
                continue
            s.add(m.Report(annotation_pk=pk, reporter=r["reporter"], text=r["text"], created=r["created"],
                           status=r.get("status", "open"), moderator=r.get("moderator")))
            counts["reports"] += 1
    s.flush()


def export_files(store: Store, folder: Path, volumes: list[str] | None = None) -> dict[str, int]:
    """Write ``archive.json`` and the annotation files into ``folder`` (created if missing)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CorpusError(f"{folder}: not a folder")
    archive: dict = {"users": {}, "groups": {}, "folders": []}
    for name, (display, role) in store.users().items():
        archive["users"][name] = {"name": display} if role == "reader" else {"name": display, "role": role}
    for name, (title, members) in store.groups().items():
        archive["groups"][name] = {"name": title, "members": members}
    for f in store.folders():
        item = {"name": f["name"], "title": f["title"]}
        item.update({"group": f["group"]} if f["group"] else {"owner": f["owner"]})
        item["entries"] = f["entries"]
        archive["folders"].append(item)
    bookmarks = store.bookmarks()
    if bookmarks:
        archive["bookmarks"] = [{k: v for k, v in b.items() if k != "id"} for b in bookmarks]
    annotations = store.annotations(volumes)
    hidden = [a.iri for a in annotations if a.hidden]
    reports = [{k: v for k, v in r.items() if k not in ("id", "volume", "slug") and v is not None}
               for r in store.reports()]
    if hidden or reports:
        archive["moderation"] = {"hidden": hidden, "reports": reports}
    files: dict[str, list[dict]] = {}
    for a in annotations:
        files.setdefault(a.origin or f"annotations/{slug_of(a.creator or 'anonymous')}.jsonld", []).append(a.document)
    folder.mkdir(parents=True, exist_ok=True)
    for rel, docs in files.items():
        target = folder / rel
        if not target.resolve().is_relative_to(folder.resolve()):
            raise CorpusError(f"annotation file of origin {rel!r} lies outside {folder}; not written")
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = (json.dumps(docs, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

        def write(out: BinaryIO, data: bytes = payload) -> int:
            return out.write(data)

        write_atomic(target, write)
    payload = (json.dumps(archive, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_atomic(folder / ARCHIVE_FILE, lambda out: out.write(payload))
    return {"users": len(archive["users"]), "groups": len(archive["groups"]), "folders": len(archive["folders"]),
            "annotations": len(annotations), "files": len(files) + 1}
