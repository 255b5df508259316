"""Citations: the order of a citation's cites when the style groups them by author, as citeproc-js
orders a document's citations (its "grouped sort", ``exporter.citations.grouped_sort``).

The expected lines are citeproc-js 2.4.63's output for the same records, style and locale
(``rebuildProcessorState`` for a document's citation, ``makeCitationCluster`` for a citation made
by itself), with the pinned locales (scripts/citeproc-js)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "citations" / "locales"
IDS = ("mixed-017", "mixed-018", "mixed-019")  # Эрн et al. 1918; Эрн & Астров 1918; Эрн 1919


def _cluster(locale: str, grouped: bool) -> str:
    from exporter.citations import processor
    from exporter.engine import Engine

    records = [r for r in json.loads((GOLDEN / "records--mixed.json").read_text(encoding="utf-8"))
               if r["id"] in IDS]
    path = Engine().style("apa").path
    rows = processor.format_clusters(records, [[{"id": i} for i in IDS]], path, note=False, locale=locale,
                                     grouped_sort=grouped)
    assert rows[0].ok, rows[0].error
    return rows[0].text


@pytest.mark.parametrize(("locale", "expected"), [
    ("en-US", "(Эрн, 1919; Эрн et al., 1918; Эрн & Астров, 1918)"),
    ("ru-RU", "(Эрн, 1919; Эрн и др., 1918; Эрн & Астров, 1918)"),
])
def test_a_documents_citation_keeps_author_groups_in_author_string_order(locale, expected):
    """APA sorts by author (names-use-first="1": "Эрн" for two of them) and year, but a
    citation in a document is sorted grouped: "Эрн" sorts before "Эрн et al." by author string,
    and that order holds although the latter's year is earlier."""
    assert _cluster(locale, grouped=True) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en-US", "(Эрн et al., 1918; Эрн, 1919; Эрн & Астров, 1918)"),
    ("ru-RU", "(Эрн и др., 1918; Эрн, 1919; Эрн & Астров, 1918)"),
])
def test_a_citation_by_itself_sorts_by_the_keys_alone(locale, expected):
    """citeproc-js's makeCitationCluster (the CSL test suite's CITATION-ITEMS) sorts by the
    style's keys only; the name key has no "et al.", so the year decides."""
    assert _cluster(locale, grouped=False) == expected


def test_which_styles_sort_grouped():
    from exporter.citations import grouped_sort
    from exporter.citations.processor import load_style
    from exporter.engine import Engine

    engine = Engine()
    expected = {"apa": True, "chicago-author-date": True, "chicago-notes-bibliography": False,
                "modern-language-association": False}
    got = {name: grouped_sort.applies(load_style(engine.style(name).path, None)) for name in expected}
    assert got == expected
