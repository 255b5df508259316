"""CSL citation formatting: citeproc-py with a compatibility layer, matching citeproc-js.

* :mod:`.styles` -- the built-in styles plugin (four standard styles + the house style);
* :mod:`.processor` -- formatting CSL-JSON records (bibliography, notes, in-text), with caches;
* :mod:`.compat` -- installs the citeproc-py patches, gated on the citeproc-py version;
* :mod:`.fidelity` -- patches that make citeproc-py print what citeproc-js prints;
* :mod:`.speedups` -- patches that make the same output faster (``EXPORTER_CITE_SPEEDUPS=0``: off;
  :mod:`.speedups_sort`: which macros a sort key and an entry share);
* :mod:`.driver` -- records, sorting, disambiguation, positions, rendering, post-processing
  (see ``docs/citations.md``);
* :mod:`.markup` -- one rendering, two outputs: plain text and correctly escaped HTML.

Everything heavy (citeproc, lxml) is imported inside functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..model import Document, Entry
    from ..registry import Style

MODES = ("bibliography", "note", "in-text")

#: Prefix of a line printed without the style because the record could not be formatted.
FALLBACK_MARK = "[unformatted]"


@dataclass
class CiteLine:
    """One output line of ``exporter cite``: the entry, its text and HTML, or an error."""

    entry_id: str
    text: str
    html: str
    error: str | None = None
    #: The style prints nothing for this entry (citeproc-js leaves it out as well).
    omitted: bool = False


def cite_entries(entries: Sequence[Entry], style: Style, mode: str,
                 locator: str | None = None, locale: str | None = None,
                 refuse_without_bibliography: bool = False) -> list[CiteLine]:
    """Format ``entries`` with ``style``.

    ``bibliography``: one line per distinct entry, sorted as the style sorts; ``note`` and
    ``in-text``: one citation per entry in the given order, as consecutive citations of one
    document (a repeated entry gets the style's subsequent or ibid form).  An entry that cannot
    be formatted gives a marked plain fallback with ``error`` set; the others are formatted.
    ``locale``: a CSL locale (``ru-RU``); None: the style's default locale (en-US without one).
    ``refuse_without_bibliography``: a bibliography of a style that has none is a
    :class:`UsageError` (else every entry gets the marked fallback).
    """
    from html import escape

    from ..csl import citation_record, csl_id, entry_to_csl, plain_citation
    from . import processor

    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    by_id: dict[str, Entry] = {}
    records = []
    for entry in entries:
        rec = citation_record(entry_to_csl(entry))
        if rec["id"] not in by_id:
            by_id[rec["id"]] = entry
            records.append(rec)
    if mode == "bibliography":
        if refuse_without_bibliography and not processor.has_bibliography(style.path, locale):
            from ..errors import UsageError

            raise UsageError(f"style '{style.name}' has no bibliography; cite with --mode note or in-text")
        results = processor.format_bibliography(records, style.path, locale)
    else:
        cites = [(csl_id(e), locator) for e in entries]  # the ids of the records above
        results = processor.format_citations(records, cites, style.path, note=(mode == "note"),
                                               locale=locale)
    lines = []
    for res in results:
        entry = by_id[res.id]
        if res.ok:
            lines.append(CiteLine(entry.id, _one_line(res.text), _one_line(res.html)))
        elif res.omitted:
            lines.append(CiteLine(entry.id, "", "", res.error, omitted=True))
        else:
            plain = plain_citation(entry).note
            lines.append(CiteLine(entry.id, f"{FALLBACK_MARK} {plain}",
                                  f"{FALLBACK_MARK} {escape(plain, quote=False)}", res.error))
    return lines


@dataclass
class Cite:
    """One cite of a multi-item citation: an entry and, optionally, the page cited."""

    entry: Entry
    locator: str | None = None


def parse_clusters(text: str) -> list[list[tuple[str, str | None]]]:
    """``"ID,ID;ID@21"`` -> clusters of (entry id, page): ``;`` separates citations, ``,`` the
    cites of one citation, ``@PAGE`` a cite's locator.  Raises ``ValueError`` on an empty
    citation, id or locator."""
    clusters: list[list[tuple[str, str | None]]] = []
    for part in text.split(";"):
        cites: list[tuple[str, str | None]] = []
        for cite in part.split(","):
            ident, at, locator = cite.strip().partition("@")
            ident, page = ident.strip(), " ".join(locator.split()) or None
            if not ident:
                raise ValueError(f"empty entry id in citation {part.strip()!r} of {text!r}")
            if at and page is None:  # "ID@" is a locator left out by mistake, not "no locator"
                raise ValueError(f"empty locator after '{ident}@' in {text!r}")
            cites.append((ident, page))
        clusters.append(cites)
    return clusters


def cite_clusters(clusters: Sequence[Sequence[Cite]], style: Style, note: bool,
                  locale: str | None = None) -> list[CiteLine]:
    """Multi-item citations: one line per cluster, the clusters being consecutive citations of
    one document (footnotes when ``note``), each cluster's cites sorted, disambiguated and
    positioned (ibid, subsequent) as the style says.  ``CiteLine.entry_id`` is the cluster's
    entry ids joined with ``,``.  A cluster that cannot be formatted gets a marked plain
    fallback (its entries' plain citations joined with ``; ``) with ``error`` set."""
    from html import escape

    from ..csl import citation_record, entry_to_csl, plain_citation
    from . import processor

    records, seen = [], set()
    raw = []
    for cluster in clusters:
        cites = []
        for cite in cluster:
            rec = citation_record(entry_to_csl(cite.entry))
            if rec["id"] not in seen:
                seen.add(rec["id"])
                records.append(rec)
            cites.append({"id": rec["id"], "locator": cite.locator})
        raw.append(cites)
    results = processor.format_clusters(records, raw, style.path, note=note, locale=locale)
    lines = []
    for cluster, res in zip(clusters, results):
        ids = ",".join(c.entry.id for c in cluster)
        if res.ok:
            lines.append(CiteLine(ids, _one_line(res.text), _one_line(res.html)))
        else:
            plain = "; ".join(plain_citation(c.entry).note for c in cluster)
            lines.append(CiteLine(ids, f"{FALLBACK_MARK} {plain}", f"{FALLBACK_MARK} {escape(plain, quote=False)}",
                                  res.error))
    return lines


def _escape(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def format_document_citations(doc: Document, style: Style, locale: str | None = None) -> None:
    """Fill ``entry.citation`` for every entry of ``doc`` using ``style``.

    ``note`` is the entry's first citation (a footnote for note styles, the in-text citation
    for author-date styles); ``bibliography`` its bibliography entry.  Entries the style cannot
    format keep the plain fallback citation, and a warning says why.
    """
    from ..csl import plain_citation
    from ..model import Citation

    notes = {line.entry_id: line for line in cite_entries(doc.entries, style, "note", locale=locale)}
    bib = {line.entry_id: line for line in cite_entries(doc.entries, style, "bibliography", locale=locale)}
    for entry in doc.entries:
        note, entry_bib = notes.get(entry.id), bib.get(entry.id)
        failed = [x for x in (note, entry_bib) if x is None or (x.error and not x.omitted)]
        if failed:
            reason = next((x.error for x in failed if x is not None and x.error), "no output")
            doc.warnings.append(f"entry {entry.id}: style '{style.name}' could not format it ({reason}); "
                                "the plain citation is used")
            entry.citation = plain_citation(entry)
            continue
        assert note is not None and entry_bib is not None  # else they are in failed
        if note.omitted or entry_bib.omitted:
            # the style prints no line for this kind of record: keep the plain one for that line
            plain = plain_citation(entry)
            note = note if not note.omitted else CiteLine(entry.id, plain.note, _escape(plain.note))
            entry_bib = entry_bib if not entry_bib.omitted else CiteLine(
                entry.id, plain.bibliography, _escape(plain.bibliography))
        entry.citation = Citation(note=note.text, bibliography=entry_bib.text, style=style.name,
                                  note_html=note.html, bibliography_html=entry_bib.html)


def style_names(styles: Iterable[Style]) -> list[str]:
    """Registered style names, sorted (for error messages)."""
    return sorted(s.name for s in styles)
