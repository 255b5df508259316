"""Loading a corpus: one volume file, or a folder of volumes with annotations and an archive file.

Folder layout::

    corpus/
      *.xml              volumes (any registered source that accepts the file)
      annotations/*.jsonld (or *.jsonld beside the volumes)   reader annotations
      archive.json       users, groups, folders and the print limit (see docs/corpus.md)

When two volumes use the same ``xml:id``, those entries are qualified as ``<volume id>:<xml:id>``
(and every entry can always be named that way).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..errors import CorpusError
from ..model import Corpus, Entry, Folder, Group
from ..registry import LoadedVolume, Registry, Source
from ..textnorm import Cleaner
from .annotations import read_annotations

ARCHIVE_FILE = "archive.json"


def parse_print_limit(value: object, where: str) -> int:
    """A print limit as the archive's configuration gives it: a whole number of pages, 0 or more."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not (text.isascii() and text.isdigit()):
        raise CorpusError(f"{where}: print limit {value!r} is not a whole number of pages (0 or more)")
    return int(text)


def default_corpus() -> Path:
    """The bundled sample corpus: the ``sample/`` package data of ``exporter``."""
    from ..assets import SAMPLE_DIR

    return SAMPLE_DIR


def _source_for(path: Path, sources: Registry[Source]) -> Source | None:
    for source in sources:
        if source.accepts(path):
            return source
    return None


def load_corpus(path: Path, sources: Registry[Source]) -> Corpus:
    """Load volumes (through the registered sources), annotations and the archive file."""
    path = Path(path)
    cleaner = Cleaner()
    warnings: list[str] = []
    loaded: list[LoadedVolume] = []
    folder: Path | None = None
    if path.is_dir():
        folder = path
        files = sorted(p for p in path.iterdir() if p.is_file())
        for file in files:
            source = _source_for(file, sources)
            if source is not None:
                loaded.extend(source.load(file, cleaner))
        if not loaded:
            raise CorpusError(f"{path}: no volume found (sources: {', '.join(sources.names())})")
    elif path.exists():
        source = _source_for(path, sources)
        if source is None:
            raise CorpusError(f"{path}: no source accepts this file (sources: {', '.join(sources.names())})")
        loaded.extend(source.load(path, cleaner))
    else:
        raise CorpusError(f"{path}: no such file or folder")
    for lv in loaded:
        warnings.extend(lv.warnings)
    vol_ids = Counter(lv.volume.id for lv in loaded)
    clash = [v for v, n in vol_ids.items() if n > 1]
    if clash:
        files = ", ".join(lv.volume.source_path for lv in loaded if lv.volume.id == clash[0])
        raise CorpusError(f"two volumes share the id '{clash[0]}': {files}")
    entries: list[Entry] = [e for lv in loaded for e in lv.entries]
    local_ids = Counter(e.local_id for e in entries)
    for e in entries:
        if local_ids[e.local_id] > 1:
            e.id = e.qualified_id
    corpus = Corpus(volumes=[lv.volume for lv in loaded], entries=entries, warnings=warnings)
    if folder is not None:
        _load_archive(folder / ARCHIVE_FILE, corpus, cleaner)
        layer_index = {e.layer_iri(name): (e, name) for e in entries for name in e.layers}
        ann_files = sorted(folder.glob("*.jsonld")) + sorted((folder / "annotations").glob("*.jsonld"))
        for file in ann_files:
            corpus.annotations.extend(read_annotations(file, layer_index, cleaner, corpus.warnings))
        seen: set[str] = set()
        for ann in corpus.annotations:
            if ann.id in seen:
                corpus.warnings.append(f"annotation {ann.id} appears twice; both kept")
            seen.add(ann.id)
    warn = cleaner.warning("corpus")
    if warn and warn not in corpus.warnings:
        corpus.warnings.append(warn)
    return corpus


def _load_archive(path: Path, corpus: Corpus, cleaner: Cleaner) -> None:
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        c = cleaner.clean
        if data.get("print_limit") is not None:
            corpus.print_limit = parse_print_limit(data["print_limit"], f"{path}: print_limit")
        corpus.users = {c(k): c(v.get("name", k)) for k, v in data.get("users", {}).items()}
        for name, g in data.get("groups", {}).items():
            corpus.groups[c(name)] = Group(c(name), c(g.get("name", name)), [c(m) for m in g.get("members", [])])
        for f in data.get("folders", []):
            corpus.folders.append(Folder(
                name=c(f["name"]), title=c(f.get("title", f["name"])), entries=[c(e) for e in f.get("entries", [])],
                owner=f.get("owner"), group=f.get("group")))
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise CorpusError(f"{path}: not a valid archive file: {type(exc).__name__}: {exc}") from None
