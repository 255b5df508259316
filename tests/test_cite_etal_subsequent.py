"""et-al-subsequent-min / et-al-subsequent-use-first against citeproc-js 2.4.63.

tests/golden/citations/etal-subsequent.json holds archival records with one to six authors,
citations that cite them again (subsequent, ibid, ibid with a page, multi-cite citations) and
citeproc-js's text of every citation, as notes and as in-text citations, in styles that set
et-al-subsequent-* (scripts/citeproc-js/etal_inputs.py and make_etal_goldens.js).  Every
citation must be identical, except those in ``KNOWN`` (with the reason); the test fails when
one of those becomes identical too, so the list cannot go stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "citations" / "etal-subsequent.json"

#: (style--locale, mode, citation index) -> why ours differs from citeproc-js's.
KNOWN: dict[tuple[str, str, int], str] = {}


@cache
def _golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@cache
def _engine():
    from exporter.engine import Engine

    return Engine()


def ours(key: str, mode: str) -> list[str]:
    from exporter.citations import processor

    style, locale = key.split("--")
    golden = _golden()
    out = processor.format_clusters(golden["records"], golden["clusters"], _engine().style(style).path,
                                    note=(mode == "note"), locale=locale)
    return [f.text if f.ok else f"<error: {f.error}>" for f in out]


@pytest.mark.parametrize("key", sorted(_golden()["outputs"]))
@pytest.mark.parametrize("mode", ["note", "in-text"])
def test_et_al_subsequent_as_citeproc_js(key, mode):
    expected = _golden()["outputs"][key][mode]
    got = ours(key, mode)
    assert len(got) == len(expected)
    differ = {n for n, (a, b) in enumerate(zip(got, expected)) if a != b}
    known = {n for (k, m, n) in KNOWN if (k, m) == (key, mode)}
    unexpected = sorted(differ - known)
    assert not unexpected, "\n".join(f"[{n}]\n  ours:        {got[n]}\n  citeproc-js: {expected[n]}"
                                     for n in unexpected)
    assert not known - differ, f"now identical, remove from KNOWN: {sorted(known - differ)}"


def test_subsequent_cites_are_shortened():
    """The goldens exercise the rule: a six-author record is cited in full first, then with et al."""
    out = _golden()["outputs"]["apa-6th-edition--en-US"]["in-text"]
    assert out[4].count(",") >= 4 and "et al." in out[5] and out[5] == out[6]
