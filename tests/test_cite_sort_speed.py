"""Citations: the cheaper sort path prints what the plain one prints.

* the collation key, tokenised word by word, gives the tokens the per-character reading gives
  (number runs ended by punctuation, a word break per U+0020 or "|", punctuation-only words);
* a macro without names and dates renders once for a sort key and for the entry
  (``exporter.citations.speedups_sort``), and the entry is the same as without the macro cache,
  also where a ``cs:substitute`` suppressed the title in the entry and not in the key.
"""

from __future__ import annotations

import pytest


def _tokens_by_character(text: str, cyrillic_first: bool = False) -> tuple:
    """citeproc-js's sort key as a straightforward per-character reading (the reference)."""
    import re
    import unicodedata

    from exporter.citations import driver

    decomposed = unicodedata.normalize("NFKD", text.lower().translate(driver._IGNORED_SPACES))
    joined = re.sub(r"\s+", "|", decomposed.strip()) + "|"
    tokens, kind, run, broken = [], None, "", False
    for ch in joined:
        new = "sep" if ch == "|" else "num" if ch.isdigit() else "alpha" if ch.isalnum() else None
        if new is None:
            broken = True
            continue
        if new == kind and new != "sep" and not (new == "num" and broken):
            run += ch
        else:
            if kind is not None:
                tokens.append((0, 0, "") if kind == "sep" else (1, int(run), "") if kind == "num"
                              else (2, 0, run))
            kind, run = new, ch
        broken = False
    tokens.append((0, 0, "") if kind == "sep" else (1, int(run), "") if kind == "num" else (2, 0, run))
    if cyrillic_first:
        tokens = [(k, n, t.translate(driver._CYRILLIC_FIRST)) if k == 2 else (k, n, t) for k, n, t in tokens]
    return tuple(tokens)


@pytest.mark.parametrize("text", [
    "", " ", "File No. 861.00/3326", "a | b", "a — b", "x|y", "12a3", "1.2.3", "don't stop",
    "«\u00a0Report\u00a0»", "Ёлка и Елена, 1918", "Émile Zola", "\u00a8a", "½ and 2²", "o'Neil  12",
    "Dolgorukova, Maria", "‘Quoted’ (1918)", "a_b", "Ⅻ three 三",
])
def test_collation_key_matches_the_per_character_reading(text):
    from exporter.citations import driver

    for cyrillic_first in (False, True):
        driver.clear_sort_memos()
        assert driver.collation_key(text, cyrillic_first) == _tokens_by_character(text, cyrillic_first)
        # and again from the memoised words
        driver.collation_key.cache_clear()
        assert driver.collation_key(text, cyrillic_first) == _tokens_by_character(text, cyrillic_first)


def test_clear_caches_forgets_the_memoised_words():
    from exporter.citations import driver, processor

    driver.collation_key("Memoised words here", False)
    assert driver._word_memo
    processor.clear_caches()
    assert not driver._word_memo and driver.collation_key.cache_info().currsize == 0


PROBE_STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0" default-locale="en-US">
  <info><title>Sort probe</title><id>sort-probe</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <macro name="who">
    <names variable="author"><name/><substitute><text macro="what"/></substitute></names>
  </macro>
  <macro name="what"><text variable="title" text-case="title" font-style="italic"/></macro>
  <macro name="what-and-where">
    <group delimiter=", "><text macro="what"/><text macro="where"/></group>
  </macro>
  <macro name="where"><text variable="archive_location" prefix="file "/></macro>
  <macro name="when"><date variable="issued" form="text"/></macro>
  <macro name="when-and-where"><group delimiter=" "><text macro="when"/><text macro="where"/></group></macro>
  <macro name="unknown-call"><text macro="no-such-macro"/></macro>
  <citation><layout><text macro="who"/></layout></citation>
  <bibliography>
    <sort><key macro="who"/><key macro="what-and-where"/><key macro="when-and-where"/></sort>
    <layout><group delimiter=". "><text macro="who"/><text macro="what-and-where"/>
      <text macro="when-and-where"/></group></layout>
  </bibliography>
</style>
"""


@pytest.fixture()
def probe(tmp_path):
    from exporter.citations import processor, speedups

    style = tmp_path / "sort-probe.csl"
    style.write_text(PROBE_STYLE, encoding="utf-8")
    processor.clear_caches()
    yield style
    speedups.MACRO_CACHE_ENABLED = True
    processor.clear_caches()


def test_macros_without_names_and_dates_render_alike_when_sorting(probe):
    from exporter.citations import processor
    from exporter.citations.speedups_sort import same_when_sorting

    root = processor.load_style(probe).root
    macros = {m.get("name"): m for m in root.findall("cs:macro", root.nsmap)}
    alike = {name for name, macro in macros.items() if same_when_sorting(macro)}
    # names, a date, a macro calling a date macro, a call of an undefined macro: not alike
    assert alike == {"what", "what-and-where", "where"}


def test_sort_and_entry_share_renderings_and_print_as_without_the_cache(probe):
    from exporter.citations import compat, processor, speedups

    if not compat.apply()["speedups"]:
        pytest.skip("the speed patches are off (EXPORTER_CITE_SPEEDUPS=0): nothing is shared")
    author = [{"family": "Lvova", "given": "Anna"}]
    records = [
        {"id": "a", "type": "manuscript", "title": "tea and rye", "archive_location": "7/1", "author": author,
         "issued": {"date-parts": [[1918, 3, 2]]}},
        {"id": "b", "type": "manuscript", "title": "tea and rye", "archive_location": "7/2",
         "issued": {"date-parts": [[1918, 3, 1]]}},
        {"id": "c", "type": "manuscript", "title": "barley", "archive_location": "7/2", "author": author,
         "issued": {"date-parts": [[1917]]}},
        {"id": "d", "type": "manuscript", "title": "tea and rye", "archive_location": "7/10", "author": author,
         "issued": {"date-parts": [[1918, 3, 2]]}},
    ]
    cached = [f.text for f in processor.format_bibliography(records, probe)]
    root = processor.load_style(probe).root
    what = next(m for m in root.findall("cs:macro", root.nsmap) if m.get("name") == "what")
    states = [state for state in speedups._macro_cache if state[0] == id(what)]
    # the records with an author (one shape): one state for their sort keys and their entries
    # (without the sharing, two); the record without: its entry, whose author substitute
    # suppressed the title (its first key, the title, is unique: no second key is made)
    assert len(states) == 2
    processor.clear_caches()
    speedups.MACRO_CACHE_ENABLED = False
    plain = [f.text for f in processor.format_bibliography(records, probe)]
    assert cached == plain
    # sorted by author (the title in its place for "b"), then title and file ("7/1" < "7/10");
    # "b" prints its title once, in the author's place
    assert plain == ["Anna Lvova. Barley, file 7/2. 1917 file 7/2",
                     "Anna Lvova. Tea and Rye, file 7/1. March 2, 1918 file 7/1",
                     "Anna Lvova. Tea and Rye, file 7/10. March 2, 1918 file 7/10",
                     "Tea and Rye. file 7/2. March 1, 1918 file 7/2"]
