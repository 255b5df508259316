"""The official CSL processor test suite (845 fixtures) through the project's formatter.

Prints the pass rate per group (run with ``-s`` to see it on success) and fails when any group
passes fewer fixtures than it did when the floor below was last raised, or when a fixture that
must pass (records citeproc-js formats: no ``type``, ``isInstitution``, literal dates) fails.
The target is 95% of all fixtures with no group below 90%; :data:`FLOOR` is where the formatter
stands now (raise it as fixtures are fixed).
"""

from __future__ import annotations

import os

import pytest

import csl_suite

#: Fixtures passed per group at the last measure (a group may only go up).
FLOOR = {
    "affix": 9, "bugreports": 79, "collapse": 21, "condition": 17, "date": 98, "decorations": 7,
    "disambiguate": 70, "display": 5, "etal": 4, "flipflop": 19, "form": 3, "fullstyles": 5,
    "group": 7, "integration": 14, "label": 19, "locale": 23, "locator": 6, "magic": 40,
    "name": 111, "nameattr": 97, "nameorder": 6, "namespaces": 1, "number": 20, "page": 10,
    "plural": 7, "position": 16, "punctuation": 16, "quotes": 4, "simplespace": 1, "sort": 53,
    "sortseparator": 1, "substitute": 7, "testers": 2, "textcase": 31, "unicode": 1,
    "variables": 5, "virtual": 1,
}

#: Records citeproc-js formats and the project used to refuse before formatting.
MUST_PASS = [
    "date_LiteralFailGracefullyIfNoValue",  # literal date next to empty date-parts
    "name_InstitutionDecoration",  # isInstitution names
]


@pytest.fixture(scope="module")
def outcomes():
    if not csl_suite.SUITE.is_dir():
        # A clone on its own (no ../shared) still passes its suite; CI, which always has ../shared,
        # fails here instead of skipping, so the suite's figures are never silently left out.
        message = f"the CSL test suite is missing at {csl_suite.SUITE}: ../shared must sit beside the checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return csl_suite.run()


def test_suite_pass_rate_per_group(outcomes):
    table = csl_suite.table(outcomes)
    print("\n" + table)
    assert len(outcomes) == 845
    passed: dict[str, int] = {}
    for o in outcomes:
        passed[o.group] = passed.get(o.group, 0) + o.passed
    below = {g: (passed.get(g, 0), floor) for g, floor in FLOOR.items() if passed.get(g, 0) < floor}
    assert not below, f"groups below their floor (passed, floor): {below}\n{table}"
    assert sum(passed.values()) >= sum(FLOOR.values())


def test_records_citeproc_js_accepts_are_formatted(outcomes):
    by_name = {o.name: o for o in outcomes}
    failing = {n: (by_name[n].expected, by_name[n].got) for n in MUST_PASS if not by_name[n].passed}
    assert not failing


def test_runner_can_fail():
    """A wrong expected result is reported as a failure (the comparison is not vacuous)."""
    import tempfile
    from pathlib import Path

    fixture = (csl_suite.SUITE / "date_LiteralFailGracefullyIfNoValue.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "date_Broken.txt"
        path.write_text(fixture.replace("Only Me", "Only You", 1), encoding="utf-8")
        assert not csl_suite.run_fixture(path).passed
        path.write_text(fixture, encoding="utf-8")
        assert csl_suite.run_fixture(path).passed


def test_judged_fixtures_are_listed_with_their_reason():
    """Each fixture judged against citeproc-js's output says why, holds citeproc-js 2.4.63's
    result, and is one whose expected result citeproc-js itself no longer prints (otherwise it is
    judged against its expected result like every other fixture)."""
    import json

    data = json.loads(csl_suite._JUDGED_FILE.read_text(encoding="utf-8"))
    assert data["processor"] == "citeproc-js 2.4.63"
    assert csl_suite.JUDGED
    for name, entry in csl_suite.JUDGED.items():
        assert entry["reason"].strip() and entry["result"].strip(), name
        path = csl_suite.SUITE / f"{name}.txt"
        if path.is_file():
            expected = csl_suite.parse(path)["RESULT"]
            assert csl_suite._normalise(expected) != csl_suite._normalise(entry["result"]), name
