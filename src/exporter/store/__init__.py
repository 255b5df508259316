"""The annotation store: annotations, groups, memberships, folders, bookmarks and reports in a
database (SQLite embedded by default, PostgreSQL for production).

``Store(url)`` opens one; :meth:`Store.init` creates or upgrades its schema (Alembic
migrations shipped with the package).  The engine reads a store through
:mod:`exporter.store.source`; ``exporter store init|import|export`` and the HTTP service write
it.  SQLAlchemy, Alembic and the database drivers are imported only here, so commands that do
not use a store never load them.
"""

from __future__ import annotations

from .api import Conflict, Store, StoredAnnotation, StoreError

__all__ = ["Conflict", "Store", "StoreError", "StoredAnnotation"]
