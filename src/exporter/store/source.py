"""The store as the engine's source of annotations, users, groups and folders.

The volumes come from the corpus as always (the registered sources); :func:`with_store` gives
a :class:`~exporter.model.Corpus` over the same volumes whose annotations, users, groups,
folders and moderators are the store's.  Stored annotations are read by the same reader as
annotation files (:func:`exporter.sources.annotations.parse_annotation`), so the engine anchors
them, and decides who receives them, exactly as it does for file annotations.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import replace

from ..model import Annotation, Corpus, Folder, Group
from ..sources.annotations import parse_annotation
from ..textnorm import Cleaner
from .api import Store

#: Parsed annotations per (store, corpus entries), by (pk, version): after a write only what
#: changed is read and parsed again.
_parsed: weakref.WeakKeyDictionary[Store, dict] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _annotations(base: Corpus, store: Store, warnings: list) -> list[Annotation]:
    """The store's annotations of ``base``'s volumes; a stored annotation that no longer reads
    (its volume changed) is reported in ``warnings`` as ``((creator, visibility, group), message)``,
    for the readers who may see it only."""
    with _lock:
        per_store = _parsed.setdefault(store, {})
        key = id(base.entries)
        if per_store.get("key") != key:
            per_store.clear()
            per_store["key"] = key
            per_store["index"] = base.layer_targets()  # an indexed corpus answers without reading volumes
        cache: dict[tuple[int, int], Annotation | str] = per_store.setdefault("items", {})
    rows = store.versions([v.id for v in base.volumes])
    versions = {pk: version for pk, version, _, _ in rows}
    missing = [pk for pk, version in versions.items() if (pk, version) not in cache]
    if missing:
        cleaner = Cleaner()
        for pk, (iri, text) in store.documents(missing).items():
            try:
                parsed: Annotation | str = parse_annotation(json.loads(text), per_store["index"], cleaner,
                                                            f"store:{pk}")
            except ValueError as exc:
                parsed = f"stored annotation {iri}: {exc}; not included"
            cache[(pk, versions[pk])] = parsed
    live = {(pk, version) for pk, version, _, _ in rows}
    for stale in [k for k in cache if k not in live]:
        del cache[stale]
    out = []
    for pk, version, hidden, owner in rows:
        cached = cache.get((pk, version))
        if cached is None:
            continue  # deleted between the two reads
        if isinstance(cached, str):
            warnings.append((owner, cached))
        else:
            out.append(replace(cached, hidden=True) if hidden else cached)
    return out


def with_store(base: Corpus, store: Store) -> Corpus:
    """``base``'s volumes and entries with the store's annotations and archive."""
    # Warnings about the corpus files' own annotations do not apply: the store's replace them.
    warnings = [w for w in base.warnings if not (w.startswith("annotation ") or ": annotation " in w)]
    owned: list = []
    annotations = _annotations(base, store, owned)
    users = store.users()
    # A copy of the corpus (its print limit and other settings kept) with the store's part.
    corpus = replace(base, annotations=annotations,
                    users={name: display for name, (display, _role) in users.items()},
                    groups={name: Group(name, title, members) for name, (title, members) in store.groups().items()},
                    folders=[Folder(name=f["name"], title=f["title"], entries=f["entries"], owner=f["owner"],
                                    group=f["group"]) for f in store.folders()],
                    warnings=warnings, owned_warnings=owned)
    corpus.moderators = {name for name, (_display, role) in users.items() if role == "moderator"}
    return corpus
