"""Formatting CSL-JSON records with citeproc-py (patched by :mod:`.compat`, driven by :mod:`.driver`), with caches.

The parsed style and locale are cached per process; every rendered item is cached under
(record, style, locale, mode, everything else that changes its output: position, locator,
year suffix, ...), so repeated formatting of unchanged entries costs a dictionary lookup.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import compat, driver, speedups
from .driver import NO_OUTPUT
from .markup import MarkerFormatter, to_html, to_text
from .zotero_fields import zotero_fields

DEFAULT_LOCALE = "en-US"
MODES = ("bibliography", "note", "in-text")

_lock = threading.RLock()
_styles: dict[tuple[str, float, str | None], Any] = {}
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


def load_style(path: Path, locale: str | None = None):
    """The parsed citeproc-py style for ``path`` (cached per process and file version), in
    ``locale`` (None: the style's ``default-locale``, else en-US)."""
    from citeproc import CitationStylesStyle

    from .catalog import dependency

    compat.apply()
    key = (str(path), Path(path).stat().st_mtime, locale)
    with _lock:
        style = _styles.get(key)
        if style is None:
            source = Path(path)
            parent = dependency(source)
            if parent is not None:
                # a dependent style is its parent with the dependent's default locale (the
                # parsed parent is shared by its dependents)
                source, own_locale = parent
                return _styles.setdefault(key, load_style(source, locale or own_locale))
            style = CitationStylesStyle(str(source), locale=locale, validate=False)
            style.exporter_locale = locale or style.root.get("default-locale") or DEFAULT_LOCALE
            # a record without a language is in the locale's language (English only title-cases
            # under an English locale), as citeproc-js assumes; citeproc-py read the style's
            # default-locale for it whatever locale was chosen (this tree is this locale's own)
            style.root.set("default-locale", style.exporter_locale)
            driver.prepare_style(style)
            _styles[key] = style
        return style


def has_bibliography(path: Path, locale: str | None = None) -> bool:
    """Whether the style has a ``cs:bibliography`` (some note styles have none)."""
    return load_style(path, locale).root.bibliography is not None


def clear_caches() -> None:
    """Forget rendered items, stored macro renderings and memoised sort keys (parsed styles are
    kept)."""
    with _lock:
        _render_cache.clear()
        speedups.clear_macro_cache(item_states=True)
        driver.clear_sort_memos()


def _record_key(rec: dict[str, Any]) -> str:
    return json.dumps(rec, sort_keys=True, ensure_ascii=False)


class _Run:
    """One formatting request: the records parsed for citeproc-py, and per-record errors."""

    def __init__(self, records: Sequence[dict[str, Any]], style_path: Path, locale: str | None,
                 rich_text: bool = False) -> None:
        from citeproc import CitationStylesBibliography
        from citeproc.source import BibliographySource

        self.style = load_style(style_path, locale)
        speedups.trim_item_states()
        self.style_key = (str(style_path), locale)
        self.locale = self.style.exporter_locale
        self.cyrillic_first = self.locale.startswith(driver.CYRILLIC_FIRST_LOCALES)
        self.source = BibliographySource()
        self.rich_text = rich_text
        self.errors: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # record id -> record json (cache key part)
        self.records: dict[str, dict[str, Any]] = {}
        for rec in records:
            rid = str(rec.get("id", ""))
            rec = zotero_fields(rec)
            problems = driver.record_problems(rec)
            if problems:
                self.errors[rid] = "invalid CSL-JSON record: " + "; ".join(problems)
                continue
            try:
                ref = driver.parse_record(rec, rich_text)
            except Exception as exc:
                self.errors[rid] = f"citeproc-py cannot read the record: {type(exc).__name__}: {exc}"
                continue
            self.source.add(ref)
            self.keys[rid] = _record_key(rec) + ("\x1frich-text" if rich_text else "")
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
                        locale: str | None = None, rich_text: bool = False) -> list[Formatted]:
    """Bibliography entries for ``records``, sorted as the style sorts them.

    Records that cannot be formatted come last, each with its error.  ``rich_text``: read
    citeproc-js's formatting tags in field values (``<i>``, ``<b>``, ``<sc>``, nocase and
    nodecor spans, ...; see :mod:`.richtext`) as formatting, as citeproc-js does for CSL-JSON
    from elsewhere (Zotero); off, every field value is text (the archive's own records).
    """
    with _lock:
        run = _Run(records, style_path, locale, rich_text)
        ordered = driver.sort_bibliography(run)
        raws = driver.render_bibliography(run, ordered, _cached)
    out = [_finish(rid, raw, err) for rid, raw, err in raws]
    out.extend(Formatted(rid, None, None, err) for rid, err in run.errors.items())
    return out


def format_citations(records: Sequence[dict[str, Any]], cites: Iterable[tuple[str, str | None]],
                     style_path: Path, note: bool, locale: str | None = None,
                     rich_text: bool = False) -> list[Formatted]:
    """Citations of ``cites`` ((record id, page locator or None), in document order) as
    consecutive citations of one document: footnotes when ``note``, else in-text
    (``rich_text`` as for :func:`format_bibliography`)."""
    with _lock:
        run = _Run(records, style_path, locale, rich_text)
        raws = driver.render_citations(run, list(cites), note, _cached)
    return [_finish(rid, raw, err) for rid, raw, err in raws]


def format_clusters(records: Sequence[dict[str, Any]], clusters: Sequence[Sequence[dict[str, Any]]],
                    style_path: Path, note: bool, locale: str | None = None,
                    rich_text: bool = False, notes: Sequence[int] | None = None,
                    grouped_sort: bool = True) -> list[Formatted]:
    """Multi-item citations: one :class:`Formatted` per cluster (its ``id`` the cluster's index).

    Each cluster is a list of cites (``{"id": ..., "locator": ..., "label": ..., "prefix": ...,
    "suffix": ...}``, all but ``id`` optional); the clusters are consecutive citations of one
    document, footnotes when ``note``.  Cites are sorted and rendered as the style says, with
    positions (ibid, subsequent) across clusters.  ``rich_text`` as for
    :func:`format_bibliography` (for the cites' prefixes and suffixes too).  ``notes``: the
    note number of each cluster (0: a citation in the running text, as citeproc-js's
    ``noteIndex``); by default consecutive notes 1, 2, ... when ``note``, else all 0.
    ``grouped_sort``: cites grouped by author are sorted as citeproc-js sorts a document's
    citations (``processCitationCluster``, see :mod:`.grouped_sort`); False sorts by the style's
    keys alone, as its ``makeCitationCluster`` does for a citation made by itself.
    """
    with _lock:
        run = _Run(records, style_path, locale, rich_text)
        raws = driver.render_clusters(run, [list(c) for c in clusters], note, _cached,
                                      None if notes is None else list(notes), grouped_sort=grouped_sort)
    return [_finish(str(n), raw, err) for n, (raw, err) in enumerate(raws)]
