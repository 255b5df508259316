"""Fidelity in en-GB and ru-RU: the project's citations compared with citeproc-js's on 200 mixed
English and Russian archival records, in the styles and locales of ``COMBINATIONS`` in
scripts/citeproc-js/dump_locale_inputs.py (featured, house and catalog styles, the dependent
Turabian included; en-US is covered by tests/test_cite_golden.py).

The goldens in tests/golden/citations/locales/ were written by citeproc-js 2.4.63
(scripts/citeproc-js/regenerate_locales.sh) from the records stored beside them, the same style
files and the same pinned locale files (citeproc-py's), with the locale forced.  Each (file,
output, mode) is compared exactly; ``matched.json`` beside the goldens records how many lines
are identical today, and a figure below it fails (a regression).  The test prints every figure.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "citations" / "locales"
MODES = ("bibliography", "note-first", "note-subsequent", "in-text", "multi-note", "multi-in-text")
MATCHED_PATH = GOLDEN / "matched.json"


def _goldens() -> list[str]:
    return sorted(p.name for p in GOLDEN.glob("*--*--*.json"))


@lru_cache(maxsize=None)
def _engine():
    from exporter.engine import Engine

    return Engine()


@lru_cache(maxsize=None)
def _records(corpus: str) -> list[dict]:
    return json.loads((GOLDEN / f"records--{corpus}.json").read_text(encoding="utf-8"))


def outputs(golden_name: str) -> tuple[dict, dict]:
    """(golden, ours) for one golden file; ours computed exactly as the goldens were."""
    from exporter.citations import processor

    golden = json.loads((GOLDEN / golden_name).read_text(encoding="utf-8"))
    records = _records(golden["corpus"])
    assert [r["id"] for r in records] == golden["ids"]
    path, locale = _engine().style(golden["style"]).path, golden["locale"]
    ours: dict[str, list | None] = {}
    if processor.has_bibliography(path, locale):
        ours["bibliography"] = [f for f in processor.format_bibliography(records, path, locale) if not f.omitted]
    else:
        ours["bibliography"] = None
    # a document knows the records it cites (disambiguation is among those), as citeproc-js
    notes = golden["noteIds"]
    cites = [(i, None) for i in notes] * 2
    cited = [r for r in records if r["id"] in set(notes)]
    both = processor.format_citations(cited, cites, path, note=True, locale=locale)
    ours["note-first"], ours["note-subsequent"] = both[:len(notes)], both[len(notes):]
    ours["in-text"] = processor.format_citations(records, [(i, None) for i in golden["ids"]], path, note=False,
                                                 locale=locale)
    clusters = [[{"id": i} for i in c] for c in golden["clusters"]]
    in_clusters = {i for c in golden["clusters"] for i in c}
    cited = [r for r in records if r["id"] in in_clusters]
    ours["multi-note"] = processor.format_clusters(cited, clusters, path, note=True, locale=locale)
    ours["multi-in-text"] = processor.format_clusters(cited, clusters, path, note=False, locale=locale)
    return golden, ours


def compare(golden_name: str) -> dict[str, tuple[int, int, list[str]]]:
    """(output/mode) -> (identical lines, lines, differences)."""
    golden, ours = outputs(golden_name)
    out = {}
    for fmt in ("text",):  # the HTML path is compared by tests/test_cite_golden.py
        for mode in MODES:
            expected, mine = golden[fmt][mode], ours[mode]
            if expected is None or mine is None:  # a style without a bibliography
                out[f"{fmt}/{mode}"] = (int(expected is None and mine is None), 1, [] if expected == mine else
                                        [f"  ours: {mine!r:.80}\n  citeproc-js: {expected!r:.80}"])
                continue
            got = [(f.text if fmt == "text" else f.html) if f.ok else f"<error: {f.error}>" for f in mine]
            diffs = [f"  ours:        {a}\n  citeproc-js: {b}" for a, b in zip(got, expected) if a != b]
            same = len(expected) - len(diffs) if len(got) == len(expected) else 0
            if len(got) != len(expected):
                diffs.append(f"  {len(got)} lines, citeproc-js has {len(expected)}")
            out[f"{fmt}/{mode}"] = (same, len(expected), diffs)
    return out


def _matched() -> dict:
    return json.loads(MATCHED_PATH.read_text(encoding="utf-8")) if MATCHED_PATH.exists() else {}


def test_goldens_cover_the_styles_and_locales():
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts" / "citeproc-js"))
    from dump_locale_inputs import COMBINATIONS

    names = set(_goldens())
    expected = {"--".join(c) + ".json" for c in COMBINATIONS}
    missing = sorted(expected - names)
    assert not missing, f"{len(missing)} goldens missing, e.g. {missing[:3]}"
    assert set(_matched()) == names
    assert len(_records("mixed")) == 200


def test_stored_records_are_todays():
    """The sample records are what today's mapping makes of the corpus, the mixed ones what
    mixed_records.py makes (else: regenerate_locales.sh)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts" / "citeproc-js"))
    import mixed_records

    from conftest import SAMPLE
    from exporter.csl import entry_to_csl

    assert _records("sample") == [entry_to_csl(e) for e in _engine().load(SAMPLE).entries]
    assert _records("mixed") == mixed_records.make()


@pytest.mark.parametrize("golden_name", _goldens())
def test_identical_to_citeproc_js(golden_name):
    floors = _matched().get(golden_name, {})
    report, failures = [], []
    for key, (same, total, diffs) in compare(golden_name).items():
        report.append(f"{key}: {same}/{total}")
        if same < floors.get(key, total):
            failures.append(f"{key}: {same}/{total} identical, recorded {floors.get(key, total)}\n"
                            + "\n".join(diffs[:4]))
    print(f"{golden_name}: " + ", ".join(report))
    assert not failures, "\n".join(failures)


def record_matched() -> None:  # pragma: no cover -- run by hand after fixes or new goldens
    """Write matched.json: today's identical-line figures (python tests/test_cite_golden_locales.py)."""
    data = {name: {k: v[0] for k, v in compare(name).items()} for name in _goldens()}
    MATCHED_PATH.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    record_matched()
