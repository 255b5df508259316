"""Opening the service's annotation store at start-up.

The schema is created or upgraded (Alembic), and a store that is new and empty is filled from
the corpus folder (its ``archive.json`` and annotation files; the bundled sample when no corpus
is configured), so that ``exporter serve`` with no configuration serves the sample's readers,
groups, folders and annotations from an embedded SQLite file in its state folder.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Config

log = logging.getLogger("exporter.service")


def open_store(config: Config):
    """The service's annotation store, created (or upgraded) and, when new, filled from the corpus."""
    if not config.store.url:
        config.state_path.mkdir(parents=True, exist_ok=True)
    return open_store_url(config.store_url, config.corpus_path)


def open_store_url(url: str, corpus_path: str | None):
    """The store at ``url``, created or upgraded, and filled from the corpus when never written to.

    Processes that start together on one machine (a service node and its Celery workers, all
    with the embedded store) take turns, by a lock file beside an SQLite store, so that only
    the first creates and fills it.
    """
    from ..engine import Engine
    from ..store import Store

    store = Store(url)
    with _init_lock(url):
        store.init()
        if store.revision() == 0:  # never written to: fill it from the corpus once
            corpus = Path(corpus_path) if corpus_path else Engine.default_corpus()
            if corpus.is_dir():
                counts = store.import_corpus(corpus)
                log.info("annotation store filled from %s: %s annotations, %s users, %s folders",
                         corpus, counts["annotations"], counts["users"], counts["folders"])
    return store


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite store (``url`` as the store takes it: a URL or a path); else ``None``."""
    if "://" not in url:
        return Path(url).expanduser().resolve()
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///"):])
    return None


@contextmanager
def _init_lock(url: str) -> Iterator[None]:
    path = sqlite_file(url)
    if path is None or os.name != "posix":
        yield  # PostgreSQL: Alembic's migrations run in a transaction
        return
    import fcntl

    fd = os.open(path.with_name(path.name + ".init-lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
