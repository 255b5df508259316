"""Formatting CSL-JSON records with citeproc-py (patched by :mod:`.compat`), with caches.

The parsed style and locale are cached per process; every rendered item is cached under
(record, style, locale, mode, everything else that changes its output: position, locator,
year suffix, ...), so repeated formatting of unchanged entries costs a dictionary lookup.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import compat
from .markup import MarkerFormatter, to_html, to_text

DEFAULT_LOCALE = "en-US"
#: Error of a record the style renders as nothing (e.g. Chicago lists no unarchived manuscript).
NO_OUTPUT = "the style prints nothing for this record"
MODES = ("bibliography", "note", "in-text")

_lock = threading.RLock()
_styles: dict[tuple[str, float, str], Any] = {}
_render_cache: dict[tuple, str] = {}
#: Upper bound of the render cache (entries); cleared when exceeded.
CACHE_LIMIT = 200_000


@dataclass
class Formatted:
    """One formatted citation or bibliography entry, or the reason it could not be formatted."""

    id: str
    text: str | None
    html: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def omitted(self) -> bool:
        """The style prints nothing for this record (citeproc-js leaves it out too)."""
        return self.error == NO_OUTPUT


def load_style(path: Path, locale: str = DEFAULT_LOCALE):
    """The parsed citeproc-py style for ``path`` (cached per process and file version)."""
    from citeproc import CitationStylesStyle

    compat.apply()
    key = (str(path), Path(path).stat().st_mtime, locale)
    with _lock:
        style = _styles.get(key)
        if style is None:
            style = CitationStylesStyle(str(path), locale=locale, validate=False)
            compat.prepare_style(style)
            _styles[key] = style
        return style


def clear_caches() -> None:
    """Forget rendered items, stored macro renderings and memoised sort keys (parsed styles are
    kept)."""
    with _lock:
        _render_cache.clear()
        compat.clear_macro_cache(item_states=True)
        compat.collation_key.cache_clear()


def _record_key(rec: dict[str, Any]) -> str:
    return json.dumps(rec, sort_keys=True, ensure_ascii=False)


class _Run:
    """One formatting request: the records parsed for citeproc-py, and per-record errors."""

    def __init__(self, records: Sequence[dict[str, Any]], style_path: Path, locale: str) -> None:
        from citeproc import CitationStylesBibliography
        from citeproc.source import BibliographySource

        from ..csl import check_record

        self.style = load_style(style_path, locale)
        compat.trim_item_states()
        self.style_key = (str(style_path), locale)
        self.source = BibliographySource()
        self.errors: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # record id -> record json (cache key part)
        self.records: dict[str, dict[str, Any]] = {}
        for rec in records:
            rid = str(rec.get("id", ""))
            problems = check_record(rec)
            if problems:
                self.errors[rid] = "invalid CSL-JSON record: " + "; ".join(problems)
                continue
            try:
                ref = compat.parse_record(rec)
            except Exception as exc:  # noqa: BLE001 -- one odd record must not stop the run
                self.errors[rid] = f"citeproc-py cannot read the record: {type(exc).__name__}: {exc}"
                continue
            self.source.add(ref)
            self.keys[rid] = _record_key(rec)
            self.records[rid] = rec
        self.bib = CitationStylesBibliography(self.style, self.source, MarkerFormatter)
        self.cached = _cached


def _cached(key: tuple, render) -> str:
    with _lock:
        hit = _render_cache.get(key)
    if hit is not None:
        return hit
    value = render()
    with _lock:
        if len(_render_cache) >= CACHE_LIMIT:
            _render_cache.clear()
        _render_cache[key] = value
    return value


def _finish(rid: str, raw: str | None, error: str | None) -> Formatted:
    if error is not None or raw is None:
        return Formatted(rid, None, None, error or NO_OUTPUT)
    return Formatted(rid, to_text(raw), to_html(raw))


def format_bibliography(records: Sequence[dict[str, Any]], style_path: Path,
                        locale: str = DEFAULT_LOCALE) -> list[Formatted]:
    """Bibliography entries for ``records``, sorted as the style sorts them.

    Records that cannot be formatted come last, each with its error.
    """
    with _lock:
        run = _Run(records, style_path, locale)
        ordered = compat.sort_bibliography(run)
        raws = compat.render_bibliography(run, ordered, _cached)
    out = [_finish(rid, raw, err) for rid, raw, err in raws]
    out.extend(Formatted(rid, None, None, err) for rid, err in run.errors.items())
    return out


def format_citations(records: Sequence[dict[str, Any]], cites: Iterable[tuple[str, str | None]],
                     style_path: Path, note: bool, locale: str = DEFAULT_LOCALE) -> list[Formatted]:
    """Citations of ``cites`` ((record id, page locator or None), in document order) as
    consecutive citations of one document: footnotes when ``note``, else in-text."""
    with _lock:
        run = _Run(records, style_path, locale)
        raws = compat.render_citations(run, list(cites), note, _cached)
    return [_finish(rid, raw, err) for rid, raw, err in raws]
