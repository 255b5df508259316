"""Fidelity in en-US, en-GB and ru-RU: the project's citations compared with citeproc-js's on 200
mixed English and Russian archival records, in the 16 styles x 3 locales of ``COMBINATIONS`` in
scripts/citeproc-js/dump_locale_inputs.py (featured, house and catalog styles, the dependent
Turabian included; the sample and FRUS in en-US are in tests/test_cite_golden.py).

The goldens in tests/golden/citations/locales/ were written by citeproc-js 2.4.63
(scripts/citeproc-js/regenerate_locales.sh) from the records stored beside them, the same style
files and the same pinned locale files (citeproc-py's), with the locale forced.  Each (file,
output, mode) is compared line by line; ``differences.json`` beside the goldens lists, per file
and mode, exactly which lines differ today (their indexes; docs/citations.md says why).  A line
that differs and is not listed fails (a regression), and so does a listed line that is now
identical (the list is stale: rerun ``python tests/test_cite_golden_locales.py``).  The test
prints every figure.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "citations" / "locales"
MODES = ("bibliography", "note-first", "note-subsequent", "in-text", "multi-note", "multi-in-text")
DIFFERENCES_PATH = GOLDEN / "differences.json"


def _goldens() -> list[str]:
    return sorted(p.name for p in GOLDEN.glob("*--*--*.json"))


@cache
def _engine():
    from exporter.engine import Engine

    return Engine()


@cache
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


def compare(golden_name: str) -> dict[str, tuple[list[int], int, list[str]]]:
    """(output/mode) -> (indexes of the lines that differ, lines, differences shown)."""
    golden, ours = outputs(golden_name)
    out = {}
    for fmt in ("text",):  # the HTML path is compared by tests/test_cite_golden.py
        for mode in MODES:
            expected, mine = golden[fmt][mode], ours[mode]
            if expected is None or mine is None:  # a style without a bibliography
                same = expected is None and mine is None
                out[f"{fmt}/{mode}"] = ([] if same else [0], 1, [] if same else
                                        [f"  ours: {mine!r:.80}\n  citeproc-js: {expected!r:.80}"])
                continue
            got = [(f.text if fmt == "text" else f.html) if f.ok else f"<error: {f.error}>" for f in mine]
            if len(got) != len(expected):  # every line counts as different
                out[f"{fmt}/{mode}"] = (list(range(len(expected))), len(expected),
                                        [f"  {len(got)} lines, citeproc-js has {len(expected)}"])
                continue
            differ = [n for n, (a, b) in enumerate(zip(got, expected)) if a != b]
            out[f"{fmt}/{mode}"] = (differ, len(expected), [f"  [{n}] ours:        {got[n]}\n"
                                                            f"  [{n}] citeproc-js: {expected[n]}" for n in differ])
    return out


def _known() -> dict:
    return json.loads(DIFFERENCES_PATH.read_text(encoding="utf-8")) if DIFFERENCES_PATH.exists() else {}


def test_goldens_cover_the_styles_and_locales():
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "scripts" / "citeproc-js"))
    from dump_locale_inputs import COMBINATIONS

    names = set(_goldens())
    expected = {"--".join(c) + ".json" for c in COMBINATIONS}
    missing = sorted(expected - names)
    assert not missing, f"{len(missing)} goldens missing, e.g. {missing[:3]}"
    assert set(_known()) == names
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
    known = _known().get(golden_name, {})
    report, failures = [], []
    for key, (differ, total, diffs) in compare(golden_name).items():
        report.append(f"{key}: {total - len(differ)}/{total}")
        listed = set(known.get(key, []))
        new = [d for n, d in zip(differ, diffs) if n not in listed] if len(diffs) == len(differ) else diffs
        if set(differ) - listed:
            failures.append(f"{key}: {len(set(differ) - listed)} line(s) differ that differences.json does not "
                            f"list\n" + "\n".join(new[:4]))
        if listed - set(differ):
            failures.append(f"{key}: now identical, remove from differences.json (rerun "
                            f"python tests/test_cite_golden_locales.py): {sorted(listed - set(differ))[:10]}")
    print(f"{golden_name}: " + ", ".join(report))
    assert not failures, "\n".join(failures)


def record_differences(only: list[str]) -> None:  # pragma: no cover -- run by hand after fixes
    """Write differences.json: the lines that differ today (``python tests/test_cite_golden_locales.py
    [GOLDEN.json ...]``: every golden, or only those named, keeping the others' entries)."""
    names = [n for n in _goldens() if not only or n in only]
    data = {n: v for n, v in _known().items() if n in _goldens()} if only else {}
    data.update({name: {k: v[0] for k, v in compare(name).items()} for name in names})
    data = dict(sorted(data.items()))
    DIFFERENCES_PATH.write_text(json.dumps(data, indent=None, sort_keys=True).replace('}, "', '},\n "') + "\n",
                                encoding="utf-8")
    for name, modes in data.items():
        if only and name not in only:
            continue
        print(name, {k: len(v) for k, v in modes.items() if v} or "identical")


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    record_differences(sys.argv[1:])
