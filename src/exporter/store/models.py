"""The store's tables (SQLAlchemy 2 declarative models).

The schema itself is created and changed only by the Alembic migrations in ``migrations/``;
these classes describe it for queries.  An annotation keeps its whole JSON-LD document as
written (``document``) next to the columns the service and the engine query by, so that
``exporter store export`` gives back the files it imported.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Key/value facts about the store; ``revision`` grows with every write."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(500), default="")
    #: ``reader`` or ``moderator`` (a moderator may hide reported annotations).
    role: Mapped[str] = mapped_column(String(20), default="reader")


class Group(Base):
    __tablename__ = "groups"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(500), default="")


class Membership(Base):
    __tablename__ = "memberships"
    group_name: Mapped[str] = mapped_column(ForeignKey("groups.name", ondelete="CASCADE"), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = (UniqueConstraint("volume", "slug", name="uq_annotations_volume_slug"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The annotation's own IRI (``id`` of its JSON-LD), unique in the store.
    iri: Mapped[str] = mapped_column(String(2000), unique=True)
    #: The volume (container) and the last path segment the protocol serves it under.
    volume: Mapped[str] = mapped_column(String(200), index=True)
    slug: Mapped[str] = mapped_column(String(200))
    entry: Mapped[str] = mapped_column(String(200))
    layer: Mapped[str] = mapped_column(String(40))
    creator: Mapped[str] = mapped_column(String(200), index=True)
    visibility: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created: Mapped[str | None] = mapped_column(String(40), nullable=True)
    modified: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Grows by one with every change; the protocol's ETag is derived from it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Which file the annotation was imported from (``annotations/irina.jsonld``); empty if created live.
    origin: Mapped[str] = mapped_column(String(500), default="")
    #: The JSON-LD document, as JSON text.
    document: Mapped[str] = mapped_column(Text)


class Report(Base):
    """A reader's complaint about an annotation (the viewer's "Report")."""

    __tablename__ = "reports"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    annotation_pk: Mapped[int] = mapped_column(ForeignKey("annotations.pk", ondelete="CASCADE"), index=True)
    reporter: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(40))
    #: ``open``, ``hidden`` (a moderator hid the annotation) or ``dismissed``.
    status: Mapped[str] = mapped_column(String(20), default="open")
    moderator: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Folder(Base):
    """A personal (``owner``) or group (``group_name``) folder: an ordered list of entries."""

    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("scope", "name", name="uq_folders_scope_name"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``user:<name>`` or ``group:<name>``: folder names are unique within their scope.
    scope: Mapped[str] = mapped_column(String(220))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), default="")
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    group_name: Mapped[str | None] = mapped_column(ForeignKey("groups.name", ondelete="CASCADE"), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class FolderEntry(Base):
    __tablename__ = "folder_entries"
    folder_pk: Mapped[int] = mapped_column(ForeignKey("folders.pk", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry: Mapped[str] = mapped_column(String(200))


class Bookmark(Base):
    """A reader's mark on a passage (an entry, optionally a layer and a quote)."""

    __tablename__ = "bookmarks"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    entry: Mapped[str] = mapped_column(String(200))
    layer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str] = mapped_column(String(500), default="")
    created: Mapped[str] = mapped_column(String(40))
