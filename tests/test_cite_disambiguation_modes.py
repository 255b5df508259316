"""Citations: citeproc-js's disambiguation modes in one run, and the given names it raised in
bibliography entries (``driver._dis_names``, ``driver._carrying_givens``).

The goldens in tests/golden/citations/locales/ hold the outputs (Oxford's "Summers, Maddin",
Chicago short notes' "Марина Цветаева, …, September 21, 1918"); these tests pin the pieces:
the bibliography reads which record types can show a raised given name, and a bibliography
whose records cannot skips the ambiguity check altogether.
"""

from __future__ import annotations

import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "citations" / "locales"


def _style(name: str):
    from exporter.citations import processor
    from exporter.engine import Engine

    return processor.load_style(Engine().style(name).path, None)


def test_types_whose_entries_can_show_raised_given_names():
    from exporter.citations.driver import ANY_TYPE, _bibliography_shortens_names

    # Chicago's bibliography writes names in full but for treaties (its legal macro's short names)
    assert _bibliography_shortens_names(_style("chicago-notes-bibliography").root) == {"treaty"}
    # Oxford's initialises every author ("Summers, M.")
    assert ANY_TYPE in _bibliography_shortens_names(_style("oxford-guide-to-style-notes").root)
    # MLA adds no given names to its cites: nothing to carry
    assert _bibliography_shortens_names(_style("modern-language-association").root) == frozenset()


def _records() -> list[dict]:
    return json.loads((GOLDEN / "records--mixed.json").read_text(encoding="utf-8"))


def test_a_bibliography_skips_the_ambiguity_check_when_nothing_can_change():
    from exporter.citations import driver, processor
    from exporter.engine import Engine

    records = [r for r in _records() if r.get("type") != "treaty"]
    seen = []
    original = driver.disambiguate

    def spy(run, cached):
        seen.append(run.style)
        return original(run, cached)

    driver.disambiguate = spy
    try:
        processor.format_bibliography(records, Engine().style("chicago-notes-bibliography").path, "en-US")
        assert seen == []
        processor.format_bibliography(records, Engine().style("oxford-guide-to-style-notes").path, "en-US")
        assert len(seen) == 1
    finally:
        driver.disambiguate = original


def test_oxford_entries_show_the_given_names_their_cites_kept():
    """Three records of one author whose short notes given names cannot tell apart keep full
    given names in their entries; other records of the style keep its initials."""
    from exporter.citations import processor
    from exporter.engine import Engine

    golden = json.loads((GOLDEN / "mixed--oxford-guide-to-style-notes--en-US.json").read_text(encoding="utf-8"))
    ours = [f.text for f in processor.format_bibliography(
        _records(), Engine().style("oxford-guide-to-style-notes").path, "en-US") if not f.omitted]
    full = [line for line in golden["text"]["bibliography"] if line.startswith("Summers, Maddin,")]
    assert full and all(line in ours for line in full)
    assert any(line.startswith("Summers, M., ") for line in ours)
