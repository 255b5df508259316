"""Fidelity: the project's citations compared with citeproc-js's, entry by entry.

The goldens in tests/golden/citations/ were written by citeproc-js (scripts/citeproc-js/, npm package
``citeproc``) from the same CSL-JSON records, the same style files and the same en-US locale; node
is not needed here.  Each (corpus, style, output, mode) is compared exactly; MATCHED records how
many entries are identical today.  A combination below its recorded figure fails (a regression),
and every mismatch is printed.  Where the figure is below the total, docs/citations.md lists the
remaining differences; nothing is counted as a match that is not identical.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from conftest import FRUS, SAMPLE

GOLDEN = Path(__file__).parent / "golden" / "citations"
CORPORA = {"sample": SAMPLE, "frus": FRUS}
MODES = ("bibliography", "note-first", "note-subsequent", "note-locator", "note-ibid", "in-text")

#: (corpus, style) -> entries identical to citeproc-js in every mode and output (text and html):
#: the floor each comparison must reach.  Every entry of both corpora is identical today (46 in the
#: sample, 478 in FRUS; checked against the goldens and the corpora below, not against these
#: literals); lower a figure only with the remaining differences listed in docs/citations.md.
STYLES = ("apa", "archival-documents", "chicago-author-date", "chicago-notes-bibliography",
          "modern-language-association")
MATCHED = {("sample", style): 46 for style in STYLES} | {("frus", style): 478 for style in STYLES}
MATCHED_BY_MODE: dict[tuple[str, str, str], int] = {}


def _goldens() -> list[Path]:
    return sorted(GOLDEN.glob("*--*.json"))


@cache
def _outputs(golden_name: str) -> tuple[dict, dict]:
    """(golden, ours) for one golden file; ours computed exactly as the goldens were."""
    from exporter.citations import processor

    golden = json.loads((GOLDEN / golden_name).read_text(encoding="utf-8"))
    style = _engine().plugins.styles.get(golden["style"])
    records = golden["records"]  # the very records citeproc-js formatted
    ids = [r["id"] for r in records]
    assert ids == golden["ids"]
    n = len(ids)
    ours: dict[str, list] = {}
    bib = processor.format_bibliography(records, style.path)
    ours["bibliography"] = [f for f in bib if not f.omitted]  # citeproc-js leaves those out too
    cites = [(i, None) for i in ids] * 2 + [(i, "5") for i in ids for _ in (0, 1)]
    notes = processor.format_citations(records, cites, style.path, note=True)
    ours["note-first"], ours["note-subsequent"] = notes[:n], notes[n:2 * n]
    ours["note-locator"], ours["note-ibid"] = notes[2 * n::2], notes[2 * n + 1::2]
    ours["in-text"] = processor.format_citations(records, [(i, None) for i in ids], style.path, note=False)
    return golden, ours


@cache
def _engine():
    from exporter.engine import Engine

    return Engine()


def _compare(golden_name: str, fmt: str, mode: str) -> tuple[int, int, list[str]]:
    golden, ours = _outputs(golden_name)
    got = [(f.text if fmt == "text" else f.html) if f.ok else f"<error: {f.error}>" for f in ours[mode]]
    return _compare_lines(got, golden[fmt][mode])


def _compare_lines(got: list[str], expected: list[str]) -> tuple[int, int, list[str]]:
    """(identical lines, lines expected, the differences): lines are compared position by position."""
    diffs = [f"  ours:        {a}\n  citeproc-js: {b}" for a, b in zip(got, expected) if a != b]
    if len(got) != len(expected):
        diffs.append(f"  {len(got)} lines, citeproc-js has {len(expected)}")
    matched = len(expected) - len(diffs) if len(got) == len(expected) else 0
    return matched, len(expected), diffs


def test_goldens_cover_every_style_and_corpus():
    """A golden per registered style and corpus, with one line per entry of today's corpus in every
    mode, and a floor that claims every entry: a golden cut short, a style without a golden or a
    lowered floor fails here."""
    from exporter.citations.styles import STANDARD_STYLES

    styles = sorted(set(STANDARD_STYLES) | {"archival-documents"})
    assert sorted(STYLES) == styles
    assert {p.name for p in _goldens()} == {f"{c}--{s}.json" for c in CORPORA for s in styles}
    for corpus, path in CORPORA.items():
        ids = [e.qualified_id for e in _engine().load(path).entries]
        for style in styles:
            golden = json.loads((GOLDEN / f"{corpus}--{style}.json").read_text(encoding="utf-8"))
            assert (golden["corpus"], golden["style"]) == (corpus, style)
            assert golden["ids"] == ids, f"{corpus}--{style}: the golden's entries are not the corpus's"
            for fmt in ("text", "html"):
                assert set(golden[fmt]) == set(MODES)
                for mode in MODES:
                    # a bibliography may leave out entries the style omits; every other mode has one per entry
                    assert len(golden[fmt][mode]) == len(ids) or mode == "bibliography", (corpus, style, fmt, mode)
            assert MATCHED[(corpus, style)] == len(ids), f"{corpus}--{style}: floor below the corpus size"


def test_comparison_counts_each_difference():
    """The comparison itself: a changed line, a missing line and markup instead of text all count."""
    golden = json.loads((GOLDEN / "sample--apa.json").read_text(encoding="utf-8"))
    expected = golden["text"]["note-first"]
    assert _compare_lines(list(expected), expected)[:2] == (len(expected), len(expected))
    changed = list(expected)
    changed[3] = changed[3].replace("1918", "1919", 1)
    assert changed[3] != expected[3]
    matched, total, diffs = _compare_lines(changed, expected)
    assert (matched, total, len(diffs)) == (total - 1, len(expected), 1) and "1919" in diffs[0]
    assert _compare_lines(expected[:-1], expected)[0] == 0  # a line short: nothing counts as matched
    html = golden["html"]["bibliography"]
    assert _compare_lines(html, golden["text"]["bibliography"])[0] < len(html)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_golden_records_are_the_current_mapping(corpus):
    """The goldens were made from today's corpus and mapping (else: scripts/citeproc-js/regenerate.sh)."""
    from exporter.csl import citation_record, entry_to_csl

    current = [citation_record(entry_to_csl(e)) for e in _engine().load(CORPORA[corpus]).entries]
    for path in GOLDEN.glob(f"{corpus}--*.json"):
        stored = json.loads(path.read_text(encoding="utf-8"))["records"]
        assert stored == current, f"{path.name}: corpus or CSL mapping changed; regenerate the goldens"


@pytest.mark.parametrize("golden_name", [p.name for p in _goldens()])
def test_identical_to_citeproc_js(golden_name):
    corpus, style = golden_name[:-5].split("--")
    report, failures = [], []
    for fmt in ("text", "html"):
        for mode in MODES:
            matched, total, diffs = _compare(golden_name, fmt, mode)
            floor = MATCHED_BY_MODE.get((corpus, style, mode), MATCHED[(corpus, style)])
            report.append(f"{fmt}/{mode}: {matched}/{total}")
            if matched < floor:
                failures.append(f"{fmt}/{mode}: {matched}/{total} identical, recorded {floor}\n"
                                + "\n".join(diffs[:5]))
    print(f"{golden_name}: " + ", ".join(report))
    assert not failures, "\n".join(failures)
