"""Citations: dates in macro sort keys render as citeproc-js's date sort strings
(``exporter.citations.fidelity_sort_dates``).  The expected keys and order are citeproc-js
2.4.63's (``CSL.getSortKeys`` and ``makeBibliography`` on the same records, pinned locales)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "citations" / "locales"


def test_sort_strings():
    from citeproc.source import Date, DateRange

    from exporter.citations.fidelity_sort_dates import sort_string

    full = ("year", "month", "day")
    assert sort_string(Date(year=1918, month=4, day=12), full) == "119180412100000000"
    assert sort_string(Date(year=1918, month=4, day=12), ("year",)) == "119180000100000000"
    assert sort_string(DateRange(begin=Date(year=1918, month=4), end=Date(year=1919, month=5)), full) == \
        "119180400119190500"
    assert sort_string(Date(year=-44), ("year",)) == "099550000100000000"


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_mla_sorts_a_manuscripts_date_before_a_books_publisher(locale):
    """Same author and title: MLA's third key holds the manuscript's date ("Около 12 апрель
    1918 г." as printed) and the book's publisher; citeproc-js keys the date as digits, which
    sort before any letter, so the manuscript comes first in Russian too."""
    from exporter.citations import processor
    from exporter.engine import Engine

    records = [r for r in json.loads((GOLDEN / "records--mixed.json").read_text(encoding="utf-8"))
               if r["id"] in ("mixed-095", "mixed-164")]
    path = Engine().style("modern-language-association").path
    rows = processor.format_bibliography(records, path, locale)
    assert [r.id for r in rows] == ["mixed-164", "mixed-095"]
