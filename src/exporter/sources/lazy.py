"""An on-disk index of a corpus's volumes, so that a large corpus is read on demand.

Parsing every volume of a corpus for every command costs memory in proportion to the corpus
(about 12 KB per entry: 6 GB for 500,000 entries).  The index (SQLite, one file per corpus in
the cache folder) holds what a table of contents and a selection need -- each volume's header,
each entry's id, title, date, page numbers and target IRI -- so those are answered from it, and
only the volume files that hold selected entries are parsed, through their source as always
(for TEI the hardened XML path).  A bounded number of parsed files stays cached, so a warm
service worker does not grow without limit.

Trust: each indexed file is keyed by its path, size, modification time and a hash of its first
bytes; a file that changed is read and indexed again, one that went away is dropped.  An index
that cannot be read (truncated, corrupt, another version) is deleted and rebuilt; entries built
from a file are checked against the index (the volume header, the entry ids) before they are
used.  An index that cannot be written (a read-only cache folder) is not used: the corpus is
loaded whole, with a one-line warning.

Only files read by a built-in source are indexed: a corpus with a file that a third-party source
reads is loaded whole, as that source's results may depend on more than the file.

Settings (environment): ``EXPORTER_CORPUS_INDEX`` = ``auto`` (the default: index a corpus whose
volume files hold 16 MB or more), ``on`` or ``off``; ``EXPORTER_INDEX_DIR``, the folder of the
index files (default ``$XDG_CACHE_HOME/exporter``, else ``~/.cache/exporter``);
``EXPORTER_VOLUME_CACHE``, how many parsed volume files a corpus keeps (default 4).
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, SupportsIndex, overload

from ..errors import CorpusError
from ..model import Entry, EntryDate, EntryStore, Person, Volume
from ..registry import LoadedVolume, Source
from ..textnorm import Cleaner

SCHEMA_VERSION = "1"
#: Bytes at the head of each file whose hash keys its index rows (with its size and mtime).
HEAD_BYTES = 4096
#: ``auto`` indexes a corpus whose volume files hold at least this many bytes.
AUTO_BYTES = 16 * 1024 * 1024
#: Print a progress line on stderr when at least this many files are (re)indexed.
PROGRESS_FILES = 20

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, size INTEGER NOT NULL,
                   mtime INTEGER NOT NULL, head TEXT NOT NULL, source TEXT NOT NULL,
                   load_warnings TEXT NOT NULL, volume_warnings TEXT NOT NULL, replaced INTEGER NOT NULL);
CREATE TABLE volumes(id INTEGER PRIMARY KEY, file INTEGER NOT NULL, pos INTEGER NOT NULL, vid TEXT NOT NULL,
                     header TEXT NOT NULL, first INTEGER NOT NULL DEFAULT 0, count INTEGER NOT NULL);
CREATE TABLE entries(volume INTEGER NOT NULL, pos INTEGER NOT NULL, local_id TEXT NOT NULL, title TEXT NOT NULL,
                     date TEXT NOT NULL, iri TEXT NOT NULL, pages TEXT NOT NULL, dup INTEGER NOT NULL DEFAULT 0,
                     PRIMARY KEY(volume, pos)) WITHOUT ROWID;
CREATE INDEX volumes_file ON volumes(file);
CREATE INDEX entries_local ON entries(local_id);
CREATE INDEX entries_iri ON entries(iri);
"""

#: Loads one file as the corpus loader does: (volumes, the source that read them, its warnings,
#: characters the text normaliser replaced).
LoadOne = Callable[[Path], tuple[list[LoadedVolume], Source | None, list[str], int]]


def setting() -> str:
    """``auto``, ``on`` or ``off`` (``EXPORTER_CORPUS_INDEX``; anything else counts as ``auto``)."""
    value = os.environ.get("EXPORTER_CORPUS_INDEX", "auto").strip().lower()
    return value if value in ("on", "off") else "auto"


def wanted(files: list[Path]) -> bool:
    """Whether a corpus of these volume files is read through the index."""
    mode = setting()
    if mode != "auto":
        return mode == "on"
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    return total >= AUTO_BYTES


def index_dir() -> Path:
    """The folder of the index files."""
    given = os.environ.get("EXPORTER_INDEX_DIR")
    if given:
        return Path(given)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "exporter"


def index_path(corpus: Path) -> Path:
    """The index file of the corpus at ``corpus``."""
    key = hashlib.sha256(os.fsencode(os.path.realpath(corpus))).hexdigest()[:24]
    return index_dir() / f"corpus-{key}.sqlite"


def _cache_files() -> int:
    text = os.environ.get("EXPORTER_VOLUME_CACHE", "4").strip()
    return max(1, int(text)) if text.isascii() and text.isdigit() and len(text) < 6 else 4


# -- (de)serialising the few model parts the index holds -------------------------------------
def _volume_json(volume: Volume) -> str:
    # The path is the file's, as the corpus is named this time (set when the index is read).
    return json.dumps({**asdict(volume), "source_path": ""}, ensure_ascii=False, sort_keys=True)


def _volume_from(text: str) -> Volume:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("volume header is not an object")
    data["editors"] = [Person(**p) for p in data.get("editors", [])]
    return Volume(**data)


def _date_json(d: EntryDate) -> str:
    return json.dumps([d.year, d.month, d.day, d.approximate, d.text, d.time], ensure_ascii=False)


def _date_from(text: str) -> EntryDate:
    y, m, d, approx, printed, at = json.loads(text)
    return EntryDate(year=y, month=m, day=d, approximate=bool(approx), text=printed, time=at)


def _head_hash(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.sha256(fh.read(HEAD_BYTES)).hexdigest()


class IndexRow:
    """One entry as the index holds it: what :class:`~exporter.model.EntrySummary` promises."""

    __slots__ = ("id", "local_id", "title", "date", "volume", "order", "_pages")

    def __init__(self, entry_id: str, local_id: str, title: str, date: EntryDate, volume: Volume,
                 order: int, pages: str) -> None:
        self.id = entry_id
        self.local_id = local_id
        self.title = title
        self.date = date
        self.volume = volume
        self.order = order
        self._pages = pages

    @property
    def qualified_id(self) -> str:
        return f"{self.volume.id}:{self.local_id}"

    def pages(self) -> dict[str, list[str]]:
        found = json.loads(self._pages)
        return {str(k): [str(p) for p in v] for k, v in found.items()}


@dataclass
class _Vol:
    volume: Volume
    file: str
    source: str
    pos: int
    first: int
    count: int
    rowid: int


class IndexedEntries(EntryStore):
    """A corpus's entries, answered from its index and built from their volume file on demand."""

    def __init__(self, db: Path, conn: sqlite3.Connection, vols: list[_Vol], sources: Mapping[str, Source],
                 paths: Mapping[str, Path]) -> None:
        super().__init__()
        self._paths = dict(paths)
        self.db = db
        self._conn = conn
        self._vols = vols
        self._firsts = [v.first for v in vols]
        self._total = vols[-1].first + vols[-1].count if vols else 0
        self._sources = dict(sources)
        self._by_rowid = {v.rowid: i for i, v in enumerate(vols)}
        self._parsed: OrderedDict[str, list[list[Entry]]] = OrderedDict()
        self._limit = _cache_files()
        self._lock = threading.RLock()
        self._pid = os.getpid()
        #: Volume files parsed so far (a test counts them).
        self.parses = 0

    # -- the list's shape ------------------------------------------------------------------
    def __len__(self) -> int:
        return self._total

    def __bool__(self) -> bool:
        return self._total > 0

    def __repr__(self) -> str:
        return f"<IndexedEntries: {self._total} entries in {len(self._vols)} volumes, index {self.db}>"

    @overload
    def __getitem__(self, i: SupportsIndex) -> Entry: ...
    @overload
    def __getitem__(self, i: slice) -> list[Entry]: ...

    def __getitem__(self, i: SupportsIndex | slice) -> Entry | list[Entry]:
        if isinstance(i, slice):
            return [self._at(n) for n in range(*i.indices(self._total))]
        n = i.__index__()
        if n < 0:
            n += self._total
        if not 0 <= n < self._total:
            raise IndexError("entry index out of range")
        return self._at(n)

    def __iter__(self) -> Iterator[Entry]:
        for k in range(len(self._vols)):
            yield from self._entries_of(k)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Entry) and self.find(item.id) is item

    def _at(self, n: int) -> Entry:
        k = bisect.bisect_right(self._firsts, n) - 1
        return self._entries_of(k)[n - self._vols[k].first]

    # -- answers from the index ------------------------------------------------------------
    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                if self._pid != os.getpid():
                    # A forked worker: an SQLite connection must not cross a fork; open its own.
                    self._conn = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True, timeout=60,
                                                 check_same_thread=False)
                    self._pid = os.getpid()
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CorpusError(f"{self.db}: the corpus index cannot be read ({exc}); "
                                  f"it is rebuilt on the next run") from None

    def find(self, entry_id: str) -> Entry | None:
        rows = self._query("SELECT volume, pos FROM entries WHERE local_id = ? AND dup = 0", (entry_id,))
        if not rows:
            vid, sep, local = entry_id.rpartition(":")
            if not sep:
                return None
            rows = [r for r in self._query("SELECT e.volume, e.pos FROM entries e JOIN volumes v ON v.id = e.volume "
                                           "WHERE e.local_id = ? AND v.vid = ?", (local, vid))]
        found = [(self._vols[self._by_rowid[r[0]]].first + r[1]) for r in rows if r[0] in self._by_rowid]
        if not found:
            return None
        # As a corpus held in memory does: of entries sharing an id, the later one.
        return self._at(max(found))

    def summaries(self, volume: str | None = None) -> Iterator[IndexRow]:
        for vol in self._vols:
            if volume is not None and vol.volume.id != volume:
                continue
            rows = self._query("SELECT pos, local_id, title, date, pages, dup FROM entries WHERE volume = ? "
                               "ORDER BY pos", (vol.rowid,))
            for pos, local, title, date, pages, dup in rows:
                entry_id = f"{vol.volume.id}:{local}" if dup else local
                yield IndexRow(entry_id, local, title, _date_from(date), vol.volume, vol.first + pos, pages)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for vol in self._vols:
            counts[vol.volume.id] = counts.get(vol.volume.id, 0) + vol.count
        return counts

    def layer_targets(self) -> _LayerTargets:
        """Annotation targets (layer IRIs) to (entry summary, layer), answered from the index."""
        return _LayerTargets(self)

    # -- building entries from their file --------------------------------------------------
    def _entries_of(self, k: int) -> list[Entry]:
        vol = self._vols[k]
        with self._lock:
            parsed = self._parsed.get(vol.file)
            if parsed is not None:
                self._parsed.move_to_end(vol.file)
                return parsed[vol.pos]
            parsed = self._parse(vol.file)
            self._parsed[vol.file] = parsed
            while len(self._parsed) > self._limit:
                self._parsed.popitem(last=False)
            return parsed[vol.pos]

    def _parse(self, name: str) -> list[list[Entry]]:
        mine = [v for v in self._vols if v.file == name]
        source = self._sources.get(mine[0].source)
        changed = CorpusError(f"{name}: changed since the corpus was read; run the command again")
        if source is None:
            raise changed
        try:
            loaded = source.load(self._paths[name], Cleaner())
        except CorpusError:
            raise
        except Exception as exc:
            raise CorpusError(f"{name}: cannot be loaded: {type(exc).__name__}: {exc}") from None
        self.parses += 1
        if len(loaded) != len(mine):
            raise changed
        out = []
        for lv, vol in zip(loaded, mine, strict=True):
            rows = self._query("SELECT local_id, dup FROM entries WHERE volume = ? ORDER BY pos", (vol.rowid,))
            if lv.volume != vol.volume or [e.local_id for e in lv.entries] != [r[0] for r in rows]:
                raise changed
            for n, (entry, (_local, dup)) in enumerate(zip(lv.entries, rows, strict=True)):
                entry.volume = vol.volume  # one Volume object per volume, as in a corpus held in memory
                entry.id = entry.qualified_id if dup else entry.local_id
                entry.order = vol.first + n
            out.append(lv.entries)
        return out


class _LayerTargets(Mapping[str, tuple[IndexRow, str]]):
    """Layer IRI -> (entry summary, layer name), looked up in the index."""

    def __init__(self, entries: IndexedEntries) -> None:
        self._entries = entries
        #: Looked-up IRIs (an annotation file names the same layers again and again).
        self._seen: dict[str, tuple[IndexRow, str] | None] = {}

    def __getitem__(self, iri: str) -> tuple[IndexRow, str]:
        if not isinstance(iri, str):
            raise KeyError(iri)
        if iri not in self._seen:
            if len(self._seen) >= 65536:
                self._seen.clear()
            self._seen[iri] = self._lookup(iri)
        found = self._seen[iri]
        if found is None:
            raise KeyError(iri)
        return found

    def _lookup(self, iri: str) -> tuple[IndexRow, str] | None:
        base, _, layer = iri.rpartition("/")
        best: tuple[int, IndexRow] | None = None
        idx = self._entries
        for rowid, pos, local, title, date, pages, dup in idx._query(
                "SELECT volume, pos, local_id, title, date, pages, dup FROM entries WHERE iri = ?", (base,)):
            k = idx._by_rowid.get(rowid)
            if k is None:
                continue
            vol = idx._vols[k]
            row = IndexRow(f"{vol.volume.id}:{local}" if dup else local, local, title, _date_from(date),
                           vol.volume, vol.first + pos, pages)
            if layer in row.pages() and (best is None or row.order > best[0]):
                best = (row.order, row)
        return None if best is None else (best[1], layer)

    def __iter__(self) -> Iterator[str]:
        for row in self._entries.summaries():
            base = row.volume.base_url or f"urn:exporter:{row.volume.id}"
            for layer in row.pages():
                yield f"{base.rstrip('/')}/{row.local_id}/{layer}"

    def __len__(self) -> int:
        return sum(1 for _ in self)


# -- opening and (re)building --------------------------------------------------------------
class IndexUnavailable(Exception):
    """The index cannot be used for this corpus (the reason is the message, or empty)."""


@dataclass
class Opened:
    """An opened index: the entries, and per file what the loader would have reported."""

    entries: IndexedEntries
    volumes: list[Volume]
    #: file name -> (warnings of loading it, warnings of its volumes)
    warnings: dict[str, tuple[list[str], list[str]]]
    #: file names that gave at least one volume
    loaded_files: set[str]
    #: characters replaced by the text normaliser while the indexed files were read
    replaced: int


def _signature(sources: list[Source]) -> str:
    return json.dumps([SCHEMA_VERSION, [(s.name, s.plugin) for s in sources]])


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), timeout=60, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _fresh(db: Path, signature: str) -> sqlite3.Connection:
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{db}{suffix}")
    conn = _connect(db)
    conn.executescript(_SCHEMA)
    conn.execute("INSERT INTO meta VALUES ('signature', ?)", (signature,))
    return conn


def _usable(db: Path, signature: str) -> sqlite3.Connection | None:
    """The index at ``db`` when it reads as an index of this version, else ``None``."""
    if not db.exists():
        return None
    try:
        conn = _connect(db)
        row = conn.execute("SELECT value FROM meta WHERE key = 'signature'").fetchone()
        if row is None or row[0] != signature:
            conn.close()
            return None
        # A cheap look at every table: a truncated or damaged file fails here, not later.
        for table in ("files", "volumes", "entries"):
            conn.execute(f"SELECT * FROM {table} ORDER BY rowid DESC LIMIT 1" if table != "entries"
                         else "SELECT * FROM entries ORDER BY volume DESC, pos DESC LIMIT 1").fetchall()
        return conn
    except sqlite3.DatabaseError:
        return None


def open_index(corpus: Path, files: list[Path], sources: list[Source], builtin: set[str],
               load_one: LoadOne) -> Opened:
    """Open (building or updating as needed) the index of the corpus at ``corpus`` made of ``files``.

    Raises :class:`IndexUnavailable` when the index cannot be used (the corpus is then loaded
    whole); a :class:`CorpusError` from loading a file propagates, as it would without an index.
    """
    db = index_path(corpus)
    signature = _signature(sources)
    try:
        db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = open(f"{db}.lock", "a")
    except OSError as exc:
        raise IndexUnavailable(f"cannot write the corpus index in {db.parent}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process updates an index at a time
        try:
            conn = _usable(db, signature)
            if conn is None:
                conn = _fresh(db, signature)
            return _update(conn, db, files, sources, builtin, load_one)
        except sqlite3.DatabaseError:
            # Damaged while being read: start again from nothing, once.
            conn = _fresh(db, signature)
            return _update(conn, db, files, sources, builtin, load_one)
    except (OSError, sqlite3.DatabaseError) as exc:
        raise IndexUnavailable(f"cannot write the corpus index {db}: {exc}") from None
    finally:
        lock.close()


def _stat(path: Path) -> tuple[int, int, str]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, _head_hash(path)


def _update(conn: sqlite3.Connection, db: Path, files: list[Path], sources: list[Source], builtin: set[str],
            load_one: LoadOne) -> Opened:
    known = {name: (fid, size, mtime, head) for fid, name, size, mtime, head
             in conn.execute("SELECT id, name, size, mtime, head FROM files")}
    names = {os.path.abspath(f): f for f in files}
    stale = [fid for name, (fid, *_rest) in known.items() if name not in names]
    todo: list[tuple[Path, tuple[int, int, str]]] = []
    for name, path in names.items():
        stamp = _stat(path)
        old = known.get(name)
        if old is None or old[1:] != stamp:
            todo.append((path, stamp))
            if old is not None:
                stale.append(old[0])
    if stale or todo:
        started = time.monotonic()
        show = len(todo) >= PROGRESS_FILES
        if show:
            sys.stderr.write(f"exporter: indexing {len(todo)} volume file(s) of the corpus (once; later runs "
                             f"read the index {db})\n")
            sys.stderr.flush()
        conn.execute("BEGIN IMMEDIATE")
        for fid in stale:
            _forget(conn, fid)
        conn.execute("COMMIT")
        for n, (path, stamp) in enumerate(todo, 1):
            _index_file(conn, path, stamp, builtin, load_one)
            if show and (n % 100 == 0 or n == len(todo)):
                sys.stderr.write(f"exporter: indexed {n}/{len(todo)} files in {time.monotonic() - started:.0f} s\n")
                sys.stderr.flush()
        _renumber(conn)
    return _read(conn, db, files, sources)


def _forget(conn: sqlite3.Connection, fid: int) -> None:
    conn.execute("DELETE FROM entries WHERE volume IN (SELECT id FROM volumes WHERE file = ?)", (fid,))
    conn.execute("DELETE FROM volumes WHERE file = ?", (fid,))
    conn.execute("DELETE FROM files WHERE id = ?", (fid,))


def _index_file(conn: sqlite3.Connection, path: Path, stamp: tuple[int, int, str], builtin: set[str],
                load_one: LoadOne) -> None:
    loaded, source, load_warnings, replaced = load_one(path)
    if source is not None and source.plugin not in builtin:
        raise IndexUnavailable("")
    # What the file gave is recorded whole or not at all.
    conn.execute("BEGIN IMMEDIATE")
    try:
        name = os.path.abspath(path)
        old = conn.execute("SELECT id FROM files WHERE name = ?", (name,)).fetchone()
        if old is not None:
            _forget(conn, old[0])
        volume_warnings = [w for lv in loaded for w in lv.warnings]
        cur = conn.execute("INSERT INTO files(name, size, mtime, head, source, load_warnings, volume_warnings, "
                           "replaced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (name, *stamp, source.name if source else "", json.dumps(load_warnings),
                            json.dumps(volume_warnings), replaced))
        fid = cur.lastrowid
        for pos, lv in enumerate(loaded):
            cur = conn.execute("INSERT INTO volumes(file, pos, vid, header, count) VALUES (?, ?, ?, ?, ?)",
                               (fid, pos, lv.volume.id, _volume_json(lv.volume), len(lv.entries)))
            vid = cur.lastrowid
            conn.executemany(
                "INSERT INTO entries(volume, pos, local_id, title, date, iri, pages) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(vid, n, e.local_id, e.title, _date_json(e.date), e.iri,
                  json.dumps(e.pages(), ensure_ascii=False)) for n, e in enumerate(lv.entries)])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _renumber(conn: sqlite3.Connection) -> None:
    """Corpus-wide order (files by name, then volumes in file order) and shared ids."""
    conn.execute("BEGIN IMMEDIATE")
    first = 0
    rows = conn.execute("SELECT v.id, v.count FROM volumes v JOIN files f ON f.id = v.file "
                        "ORDER BY f.name, v.pos").fetchall()
    for vid, count in rows:
        conn.execute("UPDATE volumes SET first = ? WHERE id = ?", (first, vid))
        first += count
    conn.execute("UPDATE entries SET dup = (local_id IN (SELECT local_id FROM entries GROUP BY local_id "
                 "HAVING COUNT(*) > 1))")
    conn.execute("COMMIT")


def _read(conn: sqlite3.Connection, db: Path, files: list[Path], sources: list[Source]) -> Opened:
    by_name = {os.path.abspath(f): f for f in files}
    warnings: dict[str, tuple[list[str], list[str]]] = {}
    replaced = 0
    loaded_files: set[str] = set()
    for name, load_w, vol_w, rep in conn.execute(
            "SELECT name, load_warnings, volume_warnings, replaced FROM files ORDER BY name"):
        if name not in by_name:
            continue
        lw, vw = json.loads(load_w), json.loads(vol_w)
        if not (isinstance(lw, list) and isinstance(vw, list) and isinstance(rep, int)):
            raise sqlite3.DatabaseError("malformed file row")
        warnings[name] = ([str(w) for w in lw], [str(w) for w in vw])
        replaced += rep
    vols: list[_Vol] = []
    for rowid, name, source, pos, header, first, count in conn.execute(
            "SELECT v.id, f.name, f.source, v.pos, v.header, v.first, v.count FROM volumes v "
            "JOIN files f ON f.id = v.file ORDER BY f.name, v.pos"):
        if name not in by_name:
            continue
        try:
            volume = _volume_from(header)
        except (ValueError, TypeError, KeyError) as exc:
            raise sqlite3.DatabaseError(f"malformed volume row: {exc}") from None
        volume.source_path = str(by_name[name])
        vols.append(_Vol(volume, name, source, pos, first, count, rowid))
        loaded_files.add(name)
    expected = 0
    for v in vols:
        if v.first != expected or v.count < 0:
            raise sqlite3.DatabaseError("volume numbering is inconsistent")
        expected += v.count
    entries = IndexedEntries(db, conn, vols, {s.name: s for s in sources}, by_name)
    return Opened(entries, [v.volume for v in vols], warnings, loaded_files, replaced)
