"""The store as the engine's source of annotations, users, groups and folders.

The volumes come from the corpus as always (the registered sources); :func:`with_store` gives
a :class:`~exporter.model.Corpus` over the same volumes whose annotations, users, groups,
folders and moderators are the store's.  Stored annotations are read by the same reader as
annotation files (:func:`exporter.sources.annotations.parse_annotation`), so the engine anchors
them, and decides who receives them, exactly as it does for file annotations.
"""

from __future__ import annotations

from ..model import Corpus, Folder, Group
from ..sources.annotations import parse_annotation
from ..textnorm import Cleaner
from .api import Store


def with_store(base: Corpus, store: Store) -> Corpus:
    """``base``'s volumes and entries with the store's annotations and archive."""
    cleaner = Cleaner()
    layer_index = {e.layer_iri(name): (e, name) for e in base.entries for name in e.layers}
    # Warnings about the corpus files' own annotations do not apply: the store's replace them.
    warnings = [w for w in base.warnings if not (w.startswith("annotation ") or ": annotation " in w)]
    annotations = []
    for stored in store.annotations([v.id for v in base.volumes]):
        try:
            ann = parse_annotation(stored.document, layer_index, cleaner, f"store:{stored.volume}/{stored.slug}")
        except ValueError as exc:
            warnings.append(f"stored annotation {stored.iri}: {exc}; not included")
            continue
        ann.hidden = stored.hidden
        annotations.append(ann)
    users = store.users()
    corpus = Corpus(volumes=base.volumes, entries=base.entries, annotations=annotations,
                    users={name: display for name, (display, _role) in users.items()},
                    groups={name: Group(name, title, members) for name, (title, members) in store.groups().items()},
                    folders=[Folder(name=f["name"], title=f["title"], entries=f["entries"], owner=f["owner"],
                                    group=f["group"]) for f in store.folders()],
                    warnings=warnings)
    corpus.moderators = {name for name, (_display, role) in users.items() if role == "moderator"}
    return corpus
