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

import os
import stat
from collections import Counter
from pathlib import Path

from ..errors import CorpusError
from ..model import Corpus, Entry, Folder, Group, Volume
from ..registry import LoadedVolume, Registry, Source
from ..textnorm import Cleaner
from . import lazy, safejson
from .annotations import read_annotations
from .schema import SchemaError, validate

ARCHIVE_FILE = "archive.json"


def parse_print_limit(value: object, where: str) -> int:
    """A print limit as the archive's configuration gives it: a whole number of pages, 0 or more."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise CorpusError(f"{where}: print limit {value!r} is not a whole number of pages (0 or more)")
    return int(text)


def default_corpus() -> Path:
    """The bundled sample corpus: the ``sample/`` package data of ``exporter``."""
    from ..assets import SAMPLE_DIR

    return SAMPLE_DIR


#: Largest archive file read (bytes).
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
#: Files in a corpus folder that are never offered to sources as volumes.
_NOT_VOLUMES = (ARCHIVE_FILE,)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _sources_in_order(sources: Registry[Source]) -> list[Source]:
    """Built-in sources first: a third-party source that accepts too much cannot shadow them."""
    from ..plugins import BUILTIN_PLUGINS

    return sorted(sources, key=lambda s: (s.plugin not in BUILTIN_PLUGINS, s.name))


def _accepting(path: Path, sources: list[Source], warnings: list[str]) -> list[Source]:
    found = []
    for source in sources:
        try:
            if source.accepts(path):
                found.append(source)
        except (Exception, _plugin_exit()) as exc:  # a broken source harms no other
            warnings.append(f"source '{source.name}' (plugin '{source.plugin}') failed on {path.name}: "
                            f"{_one_line(exc)}; ignored")
    return found


def _plugin_exit() -> type[BaseException]:
    from ..engine.guard import PluginExit

    return PluginExit


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200] or 'no message'}"


def _load_file(path: Path, sources: list[Source], cleaner: Cleaner, warnings: list[str],
               required: bool) -> list[LoadedVolume]:
    return _load_file_with(path, sources, cleaner, warnings, required)[0]


def _load_file_with(path: Path, sources: list[Source], cleaner: Cleaner, warnings: list[str],
                    required: bool) -> tuple[list[LoadedVolume], Source | None]:
    """Load one file with the first accepting source that succeeds.

    A refusal (:class:`CorpusError`, e.g. hostile XML) from a built-in source is final; a
    third-party source that raises anything else, or returns no volume, is passed over with a
    warning and the next accepting source is tried.
    """
    from ..plugins import BUILTIN_PLUGINS

    accepting = _accepting(path, sources, warnings)
    if not accepting:
        if required:
            raise CorpusError(f"{path}: no source accepts this file "
                              f"(sources: {', '.join(s.name for s in sources)})")
        return [], None
    failures = []
    for source in accepting:
        try:
            loaded = source.load(path, cleaner)
            if not isinstance(loaded, list) or not all(isinstance(v, LoadedVolume) for v in loaded):
                raise TypeError(f"load returned {type(loaded).__name__}, expected a list of LoadedVolume")
        except CorpusError:
            if source.plugin in BUILTIN_PLUGINS:
                raise
            failures.append(source)
            warnings.append(f"source '{source.name}' (plugin '{source.plugin}') refused {path.name}; ignored")
            continue
        except (Exception, _plugin_exit()) as exc:  # a broken source harms no other
            if source.plugin in BUILTIN_PLUGINS:
                raise CorpusError(f"{path}: cannot be loaded: {_one_line(exc)}") from None
            failures.append(source)
            warnings.append(f"source '{source.name}' (plugin '{source.plugin}') failed on {path.name}: "
                            f"{_one_line(exc)}; ignored")
            continue
        if loaded:
            return loaded, source
        failures.append(source)
    if required:
        names = ", ".join(s.name for s in failures)
        raise CorpusError(f"{path}: no volume could be loaded (tried sources: {names})")
    return [], None


def load_corpus(path: Path, sources: Registry[Source]) -> Corpus:
    """Load volumes (through the registered sources), annotations and the archive file.

    Only regular files are read: a named pipe or device in the corpus is refused (given as the
    corpus) or skipped with a warning (inside a folder), never opened for a blocking read.
    """
    path = Path(path)
    cleaner = Cleaner()
    warnings: list[str] = []
    loaded: list[LoadedVolume] = []
    folder: Path | None = None
    ordered = _sources_in_order(sources)
    inputs: list[str] = []
    try:
        is_dir = path.is_dir()
        exists = path.exists()
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: cannot read: {exc}") from None
    plan: list[tuple[Path, bool]] = []  # (file, regular) in folder order
    if is_dir:
        folder = path
        try:
            files = sorted(path.iterdir())
        except OSError as exc:
            raise CorpusError(f"{path}: cannot read the folder: {exc.strerror or exc}") from None
        for file in files:
            if file.name in _NOT_VOLUMES or file.suffix.lower() == ".jsonld" or file.is_dir():
                continue
            plan.append((file, _is_regular(file)))
    elif exists:
        if not _is_regular(path):
            raise CorpusError(f"{path}: not a regular file or folder")
        plan.append((path, True))
    else:
        raise CorpusError(f"{path}: no such file or folder")
    required = folder is None
    opened = _open_index(path, [f for f, regular in plan if regular], ordered, required, warnings)
    if opened is not None:
        corpus = _indexed_corpus(path, plan, opened, warnings, inputs, sources.names())
        cleaner.replaced += opened.replaced
    else:
        for file, regular in plan:
            if not regular:
                warnings.append(f"{file.name}: not a regular file; skipped")
                continue
            found = _load_file(file, ordered, cleaner, warnings, required=required)
            if found:
                inputs.append(str(file))
            loaded.extend(found)
        if not loaded:
            raise CorpusError(f"{path}: no volume found (sources: {', '.join(sources.names())})")
        for lv in loaded:
            warnings.extend(lv.warnings)
        _check_volume_ids([lv.volume for lv in loaded])
        entries: list[Entry] = [e for lv in loaded for e in lv.entries]
        local_ids = Counter(e.local_id for e in entries)
        for e in entries:
            if local_ids[e.local_id] > 1:
                e.id = e.qualified_id
        corpus = Corpus(volumes=[lv.volume for lv in loaded], entries=entries, warnings=warnings)
    corpus.inputs = inputs
    if folder is not None:
        corpus.folder = str(folder)
        archive = folder / ARCHIVE_FILE
        if archive.exists() or archive.is_symlink():
            _load_archive(archive, corpus, cleaner)
            inputs.append(str(archive))
        layer_index = corpus.layer_targets()
        ann_files = sorted(folder.glob("*.jsonld")) + sorted((folder / "annotations").glob("*.jsonld"))
        for file in ann_files:
            inputs.append(str(file))
            corpus.annotations.extend(read_annotations(file, layer_index, cleaner, corpus.warnings,
                                                       corpus.owned_warnings))
        seen: set[str] = set()
        for ann in corpus.annotations:
            if ann.id in seen:
                corpus.owned_warnings.append(((ann.creator, ann.visibility, ann.group),
                                              f"annotation {ann.id} appears twice; both kept"))
            seen.add(ann.id)
    warn = cleaner.warning("corpus")
    if warn and warn not in corpus.warnings:
        corpus.warnings.append(warn)
    return corpus


def _check_volume_ids(volumes: list[Volume]) -> None:
    vol_ids = Counter(v.id for v in volumes)
    clash = [v for v, n in vol_ids.items() if n > 1]
    if clash:
        sharing = ", ".join(v.source_path for v in volumes if v.id == clash[0])
        raise CorpusError(f"two volumes share the id '{clash[0]}': {sharing}")


def _open_index(path: Path, files: list[Path], ordered: list[Source], required: bool,
                warnings: list[str]) -> lazy.Opened | None:
    """The corpus index over ``files`` when one applies and can be used (see :mod:`.lazy`)."""
    from ..plugins import BUILTIN_PLUGINS

    if not files or not lazy.wanted(files):
        return None

    def load_one(file: Path) -> tuple[list[LoadedVolume], Source | None, list[str], int]:
        own: list[str] = []
        counter = Cleaner()
        found, source = _load_file_with(file, ordered, counter, own, required)
        return found, source, own, counter.replaced

    try:
        return lazy.open_index(path, files, ordered, set(BUILTIN_PLUGINS), load_one)
    except lazy.IndexUnavailable as exc:
        if str(exc):
            warnings.append(f"{exc}; every volume is loaded instead")
        return None


def _indexed_corpus(path: Path, plan: list[tuple[Path, bool]], opened: lazy.Opened, warnings: list[str],
                    inputs: list[str], sources: list[str]) -> Corpus:
    """A corpus whose entries are read from the index, with the warnings loading would give."""
    volume_warnings: list[str] = []
    for file, regular in plan:
        if not regular:
            warnings.append(f"{file.name}: not a regular file; skipped")
            continue
        name = os.path.abspath(file)
        own, of_volumes = opened.warnings.get(name, ([], []))
        warnings.extend(own)
        volume_warnings.extend(of_volumes)
        if name in opened.loaded_files:
            inputs.append(str(file))
    if not opened.volumes:
        raise CorpusError(f"{path}: no volume found (sources: {', '.join(sources)})")
    warnings.extend(volume_warnings)
    _check_volume_ids(opened.volumes)
    return Corpus(volumes=opened.volumes, entries=opened.entries, warnings=warnings)


def reserved_name(corpus: Corpus, path: str) -> str | None:
    """Why a new file at ``path`` would become an input of ``corpus`` (``None``: it would not)."""
    if corpus.folder is None:
        return None
    root = os.path.realpath(corpus.folder)
    folder, name = os.path.split(path)
    lower = name.lower()
    if folder == root and (name == ARCHIVE_FILE or lower.endswith((".jsonld", ".xml", ".tei"))):
        return f"a file of that name in the corpus folder {corpus.folder} would be read as part of the corpus"
    if folder == os.path.join(root, "annotations") and lower.endswith(".jsonld"):
        return f"a file of that name in {corpus.folder}/annotations would be read as reader annotations"
    return None


def _load_archive(path: Path, corpus: Corpus, cleaner: Cleaner) -> None:
    """Read archive.json, checked against ``archive.schema.json``; refuse the corpus if it fails.

    Access to annotations depends on it, so a doubtful archive file is never half-read.
    """
    try:
        data = safejson.load(path, MAX_ARCHIVE_BYTES)
        validate(data, "archive")
    except (safejson.JSONFileError, SchemaError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise CorpusError(f"{path}: not a valid archive file: {reason}") from None
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
    if "annotation_quote_cap" in data:
        corpus.quote_cap = data["annotation_quote_cap"]
