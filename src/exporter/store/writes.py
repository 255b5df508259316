"""What the store's API and its import/export (:mod:`.transfer`) share: the revision bump that
ends every write, and the slug of an IRI.  Kept apart so that neither imports the other for it.
"""

from __future__ import annotations

import re
from typing import cast

from sqlalchemy import Connection, Table, update
from sqlalchemy.orm import Session

from . import models as m

_SLUG_BAD = re.compile(r"[^A-Za-z0-9._~-]+")


def slug_of(iri: str) -> str:
    """The last path segment of an IRI, made safe for a URL path."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return (_SLUG_BAD.sub("-", tail).strip("-") or "a")[:120]


_META = cast(Table, m.Meta.__table__)  # a declarative model's table is a Table
#: Built once: a statement object caches its compiled form, a new one is analysed every time.
BUMP = update(_META).where(_META.c.key == "revision").values(value=_META.c.value + 1)


def _bump(session: Session | Connection) -> None:
    # Last statement of every write: the row lock it takes is held only until the commit.
    session.execute(BUMP)
