"""Citations: the cheaper sort path prints what the plain one prints.

* the collation key, tokenised word by word, gives the tokens the per-character reading gives
  (number runs ended by punctuation, a word break per U+0020 or "|", punctuation-only words).
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
