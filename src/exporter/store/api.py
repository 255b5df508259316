"""The store's operations (see :mod:`exporter.store`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..errors import ExporterError
from . import models as m
from .db import Database, describe
from .writes import _bump, slug_of

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"

# The statements of the hot paths (every request), built once: SQLAlchemy caches a statement
# object's compiled form, where a statement built per call is analysed again each time.
_ANNOTATIONS = cast(Table, m.Annotation.__table__)  # a declarative model's table is a Table
_INSERT_ANNOTATION = insert(_ANNOTATIONS)
_REVISION = select(m.Meta.__table__.c.value).where(m.Meta.__table__.c.key == "revision")
_USERS, _MEMBERSHIPS = m.User.__table__, m.Membership.__table__
#: A reader's name and role, with one row per group (a NULL group when in none): one round trip.
_READER = (select(_USERS.c.display_name, _USERS.c.role, _MEMBERSHIPS.c.group_name)
           .select_from(_USERS.outerjoin(_MEMBERSHIPS, _MEMBERSHIPS.c.user_name == _USERS.c.name))
           .where(_USERS.c.name == bindparam("user")))


class StoreError(ExporterError):
    """The store cannot be used (not initialised, unreachable, newer schema)."""

    exit_code = 3


class Conflict(StoreError):
    """A write conflicts with the stored state (a stale ETag, a duplicate name)."""


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class StoredAnnotation:
    """One annotation row, with its JSON-LD document parsed."""

    pk: int
    iri: str
    volume: str
    slug: str
    entry: str
    layer: str
    creator: str
    visibility: str
    group: str | None
    version: int
    hidden: bool
    origin: str
    #: The JSON-LD document as stored (JSON text); :attr:`document` parses it on first use.
    raw: str

    @cached_property
    def document(self) -> dict:
        return json.loads(self.raw)

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    @classmethod
    def of(cls, row: m.Annotation | Row[Any]) -> StoredAnnotation:
        """From an ORM row or a Core row of the annotations table (same attribute names)."""
        return cls(pk=row.pk, iri=row.iri, volume=row.volume, slug=row.slug, entry=row.entry, layer=row.layer,
                   creator=row.creator, visibility=row.visibility, group=row.group_name, version=row.version,
                   hidden=bool(row.hidden), origin=row.origin, raw=row.document)


class Store:
    """One store, by URL (``sqlite:///path``, ``postgresql://…``) or SQLite file path."""

    #: What the last :meth:`import_corpus` skipped, one message each (set by the import).
    last_warnings: list[str]

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.url = self.db.url

    def __repr__(self) -> str:
        return f"Store({describe(self.url)})"

    def close(self) -> None:
        self.db.dispose()

    # -- schema ----------------------------------------------------------------------------
    def _alembic_config(self, connection):
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
        cfg.attributes["connection"] = connection
        return cfg

    def init(self) -> str:
        """Create the schema or bring it up to date; returns the schema revision."""
        from alembic import command

        try:
            with self.db.writer.begin() as conn:
                command.upgrade(self._alembic_config(conn), "head")
        except Exception as exc:
            raise StoreError(f"store {describe(self.url)}: cannot create the schema: "
                             f"{type(exc).__name__}: {_one_line(exc)}") from None
        return self.schema_revision() or ""

    def schema_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        try:
            with self.db.reader.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except Exception as exc:
            raise StoreError(f"store {describe(self.url)}: cannot be opened: {type(exc).__name__}: "
                             f"{_one_line(exc)}") from None

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        cfg = self._alembic_config(None)
        return ScriptDirectory.from_config(cfg).get_current_head() or ""

    def check(self) -> None:
        """Refuse a store whose schema is missing or not the one this version knows."""
        have, want = self.schema_revision(), self.head_revision()
        if have is None:
            raise StoreError(f"store {describe(self.url)} is not initialised; run `exporter store init`")
        if have != want:
            raise StoreError(f"store {describe(self.url)} has schema {have}, this version needs {want}; "
                             f"run `exporter store init` to upgrade")

    def revision(self) -> int:
        """A number that changes with every write (the engine's cache key)."""
        with self.db.reader.connect() as conn:
            return int(conn.scalar(_REVISION) or 0)

    # -- users and groups ------------------------------------------------------------------
    def users(self) -> dict[str, tuple[str, str]]:
        """name -> (display name, role)."""
        with self.db.read() as s:
            return {u.name: (u.display_name, u.role) for u in s.scalars(select(m.User).order_by(m.User.name))}

    def groups(self) -> dict[str, tuple[str, list[str]]]:
        """name -> (title, members in order)."""
        with self.db.read() as s:
            out: dict[str, tuple[str, list[str]]] = {
                g.name: (g.title, []) for g in s.scalars(select(m.Group).order_by(m.Group.name))}
            rows = s.execute(select(m.Membership.group_name, m.Membership.user_name)
                             .order_by(m.Membership.group_name, m.Membership.position))
            for group, user in rows:
                out[group][1].append(user)
            return out

    def reader(self, user: str) -> tuple[str, str, set[str]]:
        """A reader's display name, role and groups (the name itself and ``reader`` if unknown)."""
        # A membership needs its user's row (the store adds both), so the outer join finds all.
        with self.db.reader.connect() as conn:
            rows = conn.execute(_READER, {"user": user}).all()
        if not rows:
            return user, "reader", set()
        return rows[0][0] or user, rows[0][1], {r[2] for r in rows if r[2] is not None}

    def user_groups(self, user: str | None) -> set[str]:
        if not user:
            return set()
        with self.db.read() as s:
            return set(s.scalars(select(m.Membership.group_name).where(m.Membership.user_name == user)))

    def ensure_user(self, name: str, display_name: str = "", role: str | None = None) -> None:
        def work(s: Session) -> None:
            user = s.get(m.User, name)
            if user is None:
                s.add(m.User(name=name, display_name=display_name or name, role=role or "reader"))
            elif role and user.role != role:
                user.role = role
            else:
                return
            s.flush()
            _bump(s)
        self.db.write(work)

    def add_member(self, group: str, user: str, title: str = "") -> None:
        def work(s: Session) -> None:
            if s.get(m.Group, group) is None:
                s.add(m.Group(name=group, title=title or group))
            if s.get(m.User, user) is None:
                s.add(m.User(name=user, display_name=user, role="reader"))
            s.flush()
            if s.get(m.Membership, (group, user)) is None:
                n = s.scalar(select(func.count()).where(m.Membership.group_name == group)) or 0
                s.add(m.Membership(group_name=group, user_name=user, position=n))
            s.flush()
            _bump(s)
        self.db.write(work)

    # -- annotations -----------------------------------------------------------------------
    def annotations(self, volumes: list[str] | None = None) -> list[StoredAnnotation]:
        """Every stored annotation (of these volumes), in the order they were stored."""
        q = select(m.Annotation.__table__).order_by(m.Annotation.pk)
        if volumes is not None:
            q = q.where(m.Annotation.volume.in_(volumes))
        with self.db.reader.connect() as conn:
            return [StoredAnnotation.of(r) for r in conn.execute(q)]

    def versions(self, volumes: list[str]) -> list[tuple[int, int, bool, tuple[str, str, str | None]]]:
        """``(pk, version, hidden, (creator, visibility, group))`` of every annotation of these
        volumes, in storing order."""
        q = (select(m.Annotation.pk, m.Annotation.version, m.Annotation.hidden, m.Annotation.creator,
                    m.Annotation.visibility, m.Annotation.group_name)
             .where(m.Annotation.volume.in_(volumes)).order_by(m.Annotation.pk))
        with self.db.reader.connect() as conn:
            return [(pk, version, bool(hidden), (creator, vis, group))
                    for pk, version, hidden, creator, vis, group in conn.execute(q)]

    def documents(self, pks: list[int]) -> dict[int, tuple[str, str]]:
        """pk -> (IRI, JSON-LD text) for these annotations."""
        out: dict[int, tuple[str, str]] = {}
        with self.db.reader.connect() as conn:
            for i in range(0, len(pks), 500):
                q = select(m.Annotation.pk, m.Annotation.iri, m.Annotation.document).where(
                    m.Annotation.pk.in_(pks[i:i + 500]))
                out.update({pk: (iri, doc) for pk, iri, doc in conn.execute(q)})
        return out

    def get(self, volume: str, slug: str) -> StoredAnnotation | None:
        q = select(m.Annotation.__table__).where(m.Annotation.volume == volume, m.Annotation.slug == slug)
        with self.db.reader.connect() as conn:
            row = conn.execute(q).first()
        return StoredAnnotation.of(row) if row is not None else None

    def count(self, volume: str) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(m.Annotation)
                                .where(m.Annotation.volume == volume)) or 0)

    def create(self, *, volume: str, entry: str, layer: str, creator: str, visibility: str,
               group: str | None, document: dict, iri_for: Callable[[str], str] | None = None,
               slug: str | None = None, origin: str = "") -> StoredAnnotation:
        """Store a new annotation.  ``iri_for(slug)`` gives a server-assigned IRI (written into the
        document's ``id``); without it the document's own ``id`` is kept."""
        def work(conn: Connection) -> StoredAnnotation:
            doc = dict(document)
            name = slug or (uuid.uuid4().hex if iri_for else slug_of(str(doc.get("id", ""))))
            if iri_for:
                doc["id"] = iri_for(name)
            values: dict[str, Any] = dict(iri=str(doc["id"]), volume=volume, slug=name, entry=entry, layer=layer,
                          creator=creator, visibility=visibility, group_name=group,
                          created=doc.get("created"), modified=doc.get("modified"), version=1,
                          hidden=False, origin=origin, document=json.dumps(doc, ensure_ascii=False))
            # A Core insert on a connection: the ORM's unit of work costs more than the insert.
            result = conn.execute(_INSERT_ANNOTATION, values)
            key = result.inserted_primary_key
            assert key is not None  # a single-row insert
            return StoredAnnotation(pk=key[0], iri=values["iri"], volume=volume, slug=name,
                                    entry=entry, layer=layer, creator=creator, visibility=visibility, group=group,
                                    version=1, hidden=False, origin=origin, raw=values["document"])
        # Creates at once (16 readers annotating) share a commit and one revision bump.
        return self.db.write_grouped(work, _bump)

    def replace(self, volume: str, slug: str, *, expect_version: int | None, entry: str, layer: str,
                visibility: str, group: str | None, document: dict) -> StoredAnnotation:
        """Replace an annotation's document; ``expect_version`` must match (optimistic lock)."""
        def work(s: Session) -> StoredAnnotation:
            row = s.scalar(select(m.Annotation).where(m.Annotation.volume == volume, m.Annotation.slug == slug)
                           .with_for_update())
            if row is None:
                raise LookupError(slug)
            if expect_version is not None and row.version != expect_version:
                raise Conflict(f"annotation {slug} was changed (version {row.version}, not {expect_version})")
            doc = dict(document)
            doc["id"] = row.iri
            row.entry, row.layer, row.visibility, row.group_name = entry, layer, visibility, group
            row.modified = doc.get("modified")
            row.document = json.dumps(doc, ensure_ascii=False)
            row.version = row.version + 1
            s.flush()
            _bump(s)
            return StoredAnnotation.of(row)
        return self.db.write(work)

    def delete(self, volume: str, slug: str, *, expect_version: int | None = None) -> bool:
        def work(s: Session) -> bool:
            row = s.scalar(select(m.Annotation).where(m.Annotation.volume == volume, m.Annotation.slug == slug)
                           .with_for_update())
            if row is None:
                return False
            if expect_version is not None and row.version != expect_version:
                raise Conflict(f"annotation {slug} was changed (version {row.version}, not {expect_version})")
            s.execute(delete(m.Report).where(m.Report.annotation_pk == row.pk))
            s.delete(row)
            s.flush()
            _bump(s)
            return True
        return self.db.write(work)

    # -- moderation ------------------------------------------------------------------------
    def report(self, volume: str, slug: str, reporter: str, text: str) -> int:
        def work(s: Session) -> int:
            row = s.scalar(select(m.Annotation).where(m.Annotation.volume == volume, m.Annotation.slug == slug))
            if row is None:
                raise LookupError(slug)
            rep = m.Report(annotation_pk=row.pk, reporter=reporter, text=text, created=now(), status="open")
            s.add(rep)
            s.flush()
            _bump(s)
            return rep.pk
        return self.db.write(work)

    def reports(self, status: str | None = None) -> list[dict]:
        q = (select(m.Report, m.Annotation.volume, m.Annotation.slug, m.Annotation.iri)
             .join(m.Annotation, m.Annotation.pk == m.Report.annotation_pk).order_by(m.Report.pk))
        if status:
            q = q.where(m.Report.status == status)
        with self.db.read() as s:
            return [{"id": r.pk, "annotation": iri, "volume": vol, "slug": slug, "reporter": r.reporter,
                     "text": r.text, "created": r.created, "status": r.status, "moderator": r.moderator}
                    for r, vol, slug, iri in s.execute(q)]

    def set_hidden(self, volume: str, slug: str, hidden: bool, moderator: str) -> StoredAnnotation:
        def work(s: Session) -> StoredAnnotation:
            row = s.scalar(select(m.Annotation).where(m.Annotation.volume == volume, m.Annotation.slug == slug)
                           .with_for_update())
            if row is None:
                raise LookupError(slug)
            row.hidden = hidden
            row.version = row.version + 1
            s.execute(update(m.Report).where(m.Report.annotation_pk == row.pk, m.Report.status == "open")
                      .values(status="hidden" if hidden else "dismissed", moderator=moderator))
            s.flush()
            _bump(s)
            return StoredAnnotation.of(row)
        return self.db.write(work)

    def dismiss(self, report_id: int, moderator: str) -> bool:
        def work(s: Session) -> bool:
            rep = s.get(m.Report, report_id)
            if rep is None:
                return False
            rep.status, rep.moderator = "dismissed", moderator
            s.flush()
            _bump(s)
            return True
        return self.db.write(work)

    # -- folders ---------------------------------------------------------------------------
    def folders(self) -> list[dict]:
        with self.db.read() as s:
            folders = list(s.scalars(select(m.Folder).order_by(m.Folder.position, m.Folder.pk)))
            entries: dict[int, list[str]] = {f.pk: [] for f in folders}
            for pk, entry in s.execute(select(m.FolderEntry.folder_pk, m.FolderEntry.entry)
                                       .order_by(m.FolderEntry.folder_pk, m.FolderEntry.position)):
                entries[pk].append(entry)
            return [{"id": f.pk, "name": f.name, "title": f.title, "owner": f.owner, "group": f.group_name,
                     "entries": entries[f.pk]} for f in folders]

    def save_folder(self, *, name: str, title: str, owner: str | None, group: str | None,
                    entries: list[str], folder_id: int | None = None) -> dict:
        """Create a folder (``folder_id`` None) or replace one's title and entries."""
        scope = f"group:{group}" if group else f"user:{owner}"

        def work(s: Session) -> dict:
            folder: m.Folder | None
            if folder_id is None:
                if s.scalar(select(m.Folder.pk).where(m.Folder.scope == scope, m.Folder.name == name)):
                    raise Conflict(f"a folder named {name!r} already exists there")
                position = s.scalar(select(func.count()).select_from(m.Folder)) or 0
                folder = m.Folder(scope=scope, name=name, title=title or name, owner=None if group else owner,
                                  group_name=group, position=position)
                s.add(folder)
                s.flush()
            else:
                folder = s.get(m.Folder, folder_id, with_for_update=True)
                if folder is None:
                    raise LookupError(folder_id)
                folder.title = title or folder.title
                s.execute(delete(m.FolderEntry).where(m.FolderEntry.folder_pk == folder.pk))
            for i, entry in enumerate(entries):
                s.add(m.FolderEntry(folder_pk=folder.pk, position=i, entry=entry))
            s.flush()
            _bump(s)
            return {"id": folder.pk, "name": folder.name, "title": folder.title, "owner": folder.owner,
                    "group": folder.group_name, "entries": list(entries)}
        return self.db.write(work)

    def delete_folder(self, folder_id: int) -> bool:
        def work(s: Session) -> bool:
            folder = s.get(m.Folder, folder_id)
            if folder is None:
                return False
            s.execute(delete(m.FolderEntry).where(m.FolderEntry.folder_pk == folder_id))
            s.delete(folder)
            s.flush()
            _bump(s)
            return True
        return self.db.write(work)

    # -- bookmarks -------------------------------------------------------------------------
    def bookmarks(self, owner: str | None = None) -> list[dict]:
        q = select(m.Bookmark).order_by(m.Bookmark.pk)
        if owner is not None:
            q = q.where(m.Bookmark.owner == owner)
        with self.db.read() as s:
            return [_bookmark(b) for b in s.scalars(q)]

    def add_bookmark(self, *, owner: str, entry: str, layer: str | None = None, exact: str | None = None,
                     start: int | None = None, end: int | None = None, label: str = "",
                     created: str | None = None) -> dict:
        def work(s: Session) -> dict:
            b = m.Bookmark(owner=owner, entry=entry, layer=layer, exact=exact, start=start, end=end,
                           label=label, created=created or now())
            s.add(b)
            s.flush()
            _bump(s)
            return _bookmark(b)
        return self.db.write(work)

    def delete_bookmark(self, bookmark_id: int, owner: str) -> bool | None:
        """True when deleted, False when missing, None when it is someone else's."""
        def work(s: Session) -> bool | None:
            b = s.get(m.Bookmark, bookmark_id)
            if b is None:
                return False
            if b.owner != owner:
                return None
            s.delete(b)
            s.flush()
            _bump(s)
            return True
        return self.db.write(work)

    # -- import and export -----------------------------------------------------------------
    def import_corpus(self, corpus_path: Path, engine=None) -> dict[str, int]:
        from .transfer import import_corpus

        return import_corpus(self, Path(corpus_path), engine)

    def export_files(self, folder: Path, volumes: list[str] | None = None) -> dict[str, int]:
        from .transfer import export_files

        return export_files(self, Path(folder), volumes)


def _bookmark(b: m.Bookmark) -> dict:
    out: dict[str, Any] = {"id": b.pk, "owner": b.owner, "entry": b.entry, "created": b.created}
    for key in ("layer", "exact", "start", "end"):
        if getattr(b, key) is not None:
            out[key] = getattr(b, key)
    if b.label:
        out["label"] = b.label
    return out


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
