"""Opening the service's annotation store at start-up.

The schema is created or upgraded (Alembic), and a store that is new and empty is filled from
the corpus folder (its ``archive.json`` and annotation files; the bundled sample when no corpus
is configured), so that ``exporter serve`` with no configuration serves the sample's readers,
groups, folders and annotations from an embedded SQLite file in its state folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .config import Config

log = logging.getLogger("exporter.service")


def open_store(config: Config):
    from ..engine import Engine
    from ..store import Store

    url = config.store_url
    if not config.store.url:
        config.state_path.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    store.init()
    if store.revision() == 0:  # never written to: fill it from the corpus once
        corpus = Path(config.corpus_path) if config.corpus_path else Engine.default_corpus()
        if corpus.is_dir():
            counts = store.import_corpus(corpus)
            log.info("annotation store filled from %s: %s annotations, %s users, %s folders",
                     corpus, counts["annotations"], counts["users"], counts["folders"])
    return store
