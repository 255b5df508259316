"""Runs the official CSL processor test suite (``../shared/csl-test-suite/humans``) through the
project's formatter, as citeproc-js's own runner does, and reports the pass rate per group.

* ``citation`` fixtures: the clusters of CITATIONS (the document's final state, each citation
  where its ``citationsPre`` puts it), else of CITATION-ITEMS, else one cluster citing every
  input record, go through :func:`exporter.citations.processor.format_clusters` (note styles as
  notes); one line per cluster.  For CITATIONS the expected ``..[n]``/``>>[n]`` markers (which
  say which notes citeproc-js re-rendered last) are not compared, only the text of each note.
* ``bibliography`` fixtures: the records cited (or all) through ``format_bibliography``, as
  citeproc-js's HTML (``<div class="csl-bib-body">`` with one ``csl-entry`` per line).

Records are read with ``rich_text=True``: fixtures are CSL-JSON as citeproc-js takes it, whose
field values and cite affixes carry formatting tags (``<i>``, nocase spans, ...); the archive's
own records are formatted with it off (their text is data).

A fixture whose expected result predates the current CSL locales (a term the locale files have
changed since: "100BC" where the "bc" term is now " BC") is judged against citeproc-js 2.4.63's
own output with the same pinned locales instead: :data:`JUDGED`, read from
``tests/data/csl-suite-judged.json`` (each with its reason; the results are citeproc-js's, made
by ``scripts/citeproc-js/regenerate_judged.sh``).

Run ``python tests/csl_suite.py [GROUP|FIXTURE ...] [-v]`` for the table (and with ``-v`` the
differences); ``tests/test_cite_suite.py`` runs it as a test with a floor per group.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUITE = Path(__file__).resolve().parents[2] / "shared" / "csl-test-suite" / "humans"
_JUDGED_FILE = Path(__file__).resolve().parent / "data" / "csl-suite-judged.json"
#: Fixtures judged against citeproc-js's own output: name -> {"reason", "result"}.
JUDGED: dict[str, dict[str, str]] = json.loads(_JUDGED_FILE.read_text(encoding="utf-8"))["fixtures"]
_SECTION = re.compile(r">>=+ ([A-Z-]+) =+>>\n(.*?)\n<<=+ \1 =+<<", re.S)
_MARK = re.compile(r"^(?:\.\.|>>)\[\d+\] ?")


@dataclass
class Outcome:
    name: str
    group: str
    passed: bool
    expected: str
    got: str
    judged: bool = False  # compared with citeproc-js's output instead of the expected result


def parse(path: Path) -> dict[str, str]:
    """The sections of one fixture file."""
    return {m.group(1): m.group(2) for m in _SECTION.finditer(path.read_text(encoding="utf-8"))}


def _clusters(sections: dict[str, str], records: list[dict]
              ) -> tuple[list[list[dict]], list[int] | None, bool]:
    """(clusters in document order, their note numbers or None, whether the fixture used
    CITATIONS).  For CITATIONS, the last call's citations before and after it (with their note
    numbers) are the document's final state, as citeproc-js's runner leaves it."""
    if "CITATIONS" in sections:
        order: list[str] = []
        latest: dict[str, list[dict]] = {}
        note_of: dict[str, int] = {}
        calls = json.loads(sections["CITATIONS"])
        for citation, pre, _post in calls:
            cid = citation["citationID"]
            latest[cid] = citation["citationItems"]
            note_of[cid] = int((citation.get("properties") or {}).get("noteIndex") or 0)
            if cid in order:
                continue
            before = [p[0] for p in pre]
            at = max((order.index(b) + 1 for b in before if b in order), default=0)
            order.insert(at, cid)
        citation, pre, post = calls[-1]
        final = [p[0] for p in pre] + [citation["citationID"]] + [p[0] for p in post]
        if set(final) <= set(order):
            # the last call lists the whole document: a citation it leaves out was removed
            order = final
            note_of.update({p[0]: int(p[1] or 0) for p in pre + post})
        return [latest[c] for c in order], [note_of[c] for c in order], True
    if "CITATION-ITEMS" in sections:
        return json.loads(sections["CITATION-ITEMS"]), None, False
    # citeproc-js's runner cites each id once (a repeated id is one record, the last one)
    return [[{"id": i} for i in dict.fromkeys(r["id"] for r in records)]], None, False


def _normalise(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines() if line.strip()]


def run_fixture(path: Path) -> Outcome:
    from exporter.citations import processor

    sections = parse(path)
    name = path.stem
    group = name.split("_", 1)[0]
    judged = name in JUDGED
    expected = JUDGED[name]["result"] if judged else sections.get("RESULT", "")
    mode = sections.get("MODE", "").strip()
    try:
        records = json.loads(sections["INPUT"])
        for n, rec in enumerate(records, 1):
            # citeproc-js's fixture runner names a record without an id "ITEM-n"
            rec["id"] = str(rec.get("id", f"ITEM-{n}"))
        with tempfile.NamedTemporaryFile("w", suffix=".csl", delete=False, encoding="utf-8") as f:
            f.write(sections["CSL"])
        style_path = Path(f.name)
        try:
            clusters, notes, documented = _clusters(sections, records)
            for cluster in clusters:
                for cite in cluster:
                    cite["id"] = str(cite["id"])
            if mode == "bibliography":
                cited = {c["id"] for cluster in clusters for c in cluster}
                recs = [r for r in records if r["id"] in cited] if "CITATION-ITEMS" in sections or \
                    "CITATIONS" in sections else records
                rows = processor.format_bibliography(recs, style_path, locale=None, rich_text=True)
                lines = [f'  <div class="csl-entry">{r.html}</div>' for r in rows if r.ok]
                got = '<div class="csl-bib-body">\n' + "\n".join(lines) + "\n</div>"
                ok = _normalise(got) == _normalise(expected)
            else:
                style = processor.load_style(style_path, None)
                # citeproc-js's runner makes CITATION-ITEMS with makeCitationCluster (no grouped
                # sort) and CITATIONS with processCitationCluster
                rows = processor.format_clusters(records, clusters, style_path, note=style.is_note,
                                                 locale=None, rich_text=True, notes=notes,
                                                 grouped_sort=documented)
                got = "\n".join((r.html or "") for r in rows)
                want = _normalise(expected)
                if documented:
                    want = [_MARK.sub("", line) for line in want]
                ok = _normalise(got) == want
        finally:
            style_path.unlink()
    except Exception as exc:  # a fixture the formatter cannot take fails
        got, ok = f"{type(exc).__name__}: {exc}", False
    return Outcome(name, group, ok, expected, got, judged)


def run(selection: list[str] | None = None) -> list[Outcome]:
    paths = sorted(SUITE.glob("*.txt"))
    if selection:
        paths = [p for p in paths if p.stem in selection or p.stem.split("_", 1)[0] in selection]
    return [run_fixture(p) for p in paths]


def table(outcomes: list[Outcome]) -> str:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.group, []).append(o)
    rows = ["| group | passed | fixtures | rate |", "|---|---|---|---|"]
    for g in sorted(groups):
        passed = sum(o.passed for o in groups[g])
        rows.append(f"| {g} | {passed} | {len(groups[g])} | {100 * passed / len(groups[g]):.1f}% |")
    passed = sum(o.passed for o in outcomes)
    rows.append(f"| **all** | {passed} | {len(outcomes)} | {100 * passed / max(len(outcomes), 1):.1f}% |")
    judged = sorted(o.name for o in outcomes if o.judged)
    rows.append(f"\n{len(judged)} of them judged against citeproc-js 2.4.63's output instead of the "
                f"expected result (expected result older than the current locales)"
                + (": " + ", ".join(judged) if judged else ""))
    return "\n".join(rows)


if __name__ == "__main__":  # pragma: no cover
    verbose = "-v" in sys.argv
    results = run([a for a in sys.argv[1:] if a != "-v"])
    if verbose:
        for o in results:
            if not o.passed:
                print(f"--- {o.name}\nexpected: {o.expected}\n     got: {o.got}\n")
    print(table(results))
