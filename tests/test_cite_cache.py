"""Citations: macro renderings shared between records must never leak into another record's output.

The compatibility layer stores each macro's rendering under the record fields the macro read
(``exporter.citations.speedups``, "macro renderings shared between records").  Here the output with
that cache is compared with the rendering without it (cache off, every cache cleared) on
records made by mixing fields of real entries, so that records share authors, dates, titles or
volumes in every combination, in all five styles and in every mode, with the styles formatted
one after another in one process (nothing may carry over from one style to the next).
"""

from __future__ import annotations

import random

import pytest

from test_cite import HOUSE, STANDARD, _records

STYLES = sorted(STANDARD) + [HOUSE]
#: Fields moved between records (each hybrid takes each of them from a random entry).
MIXED = ("author", "recipient", "issued", "title", "genre", "archive_location", "container-title",
         "editor", "page", "number", "language")


def _hybrids(sample, frus, n: int = 36, seed: int = 5) -> list[dict]:
    base = _records(sample)[:20] + _records(frus)[:40]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rec = dict(rng.choice(base))
        for field in MIXED:
            donor = rng.choice(base)
            if field in donor and rng.random() < 0.8:
                rec[field] = donor[field]
            elif rng.random() < 0.3:
                rec.pop(field, None)
        rec["type"] = rng.choice(["manuscript", "personal_communication"])
        if i % 7 == 3 and out:  # same author and date as the previous record, other title
            prev = out[-1]
            for field in ("author", "issued"):
                if field in prev:
                    rec[field] = prev[field]
        if i % 5 == 2 and out and out[-1].get("author") and "family" in out[-1]["author"][0]:
            # same family name and date, other given name: add-givenname disambiguation
            rec["author"] = [dict(out[-1]["author"][0], given="Zinaida")] + out[-1]["author"][1:]
            if "issued" in out[-1]:
                rec["issued"] = out[-1]["issued"]
        rec["id"] = f"hybrid-{i}"
        out.append(rec)
    return out


def _format_all(records, paths) -> list:
    from exporter.citations import processor

    ids = [r["id"] for r in records]
    cites = [(i, None) for i in ids] + [(i, "5") for i in ids[:12] for _ in (0, 1)] + [(ids[0], None)]
    out = []
    for path in paths:
        bib = processor.format_bibliography(records, path)
        notes = processor.format_citations(records, cites, path, note=True)
        in_text = processor.format_citations(records, cites, path, note=False)
        out.append([(f.id, f.text, f.html, f.error) for f in bib + notes + in_text])
    return out


@pytest.fixture()
def fresh_caches():
    from exporter.citations import processor, speedups

    processor.clear_caches()
    yield
    speedups.MACRO_CACHE_ENABLED = True
    processor.clear_caches()


def test_shared_macro_renderings_match_uncached_rendering(engine, sample, frus, fresh_caches):
    from exporter.citations import processor, speedups

    paths = [engine.plugins.styles.get(name).path for name in STYLES]
    records = _hybrids(sample, frus)
    # cached: a first batch warms the shared renderings, then the hybrids reuse them
    _format_all(_hybrids(sample, frus, n=24, seed=11), paths)
    cached = _format_all(records, paths)
    assert speedups._macro_cache_size > 0
    processor.clear_caches()
    speedups.MACRO_CACHE_ENABLED = False
    plain = _format_all(records, paths)
    assert speedups._macro_cache_size == 0
    for name, got, expected in zip(STYLES, cached, plain):
        diffs = [(a, b) for a, b in zip(got, expected) if a != b]
        assert not diffs and len(got) == len(expected), f"{name}: {diffs[:3]}"


def test_new_record_reuses_what_it_shares_and_not_more(engine, fresh_caches):
    """A record that differs from a formatted one only in its title re-renders only the macros
    that read the title; a changed author name or a changed date is printed, not the stored one."""
    from exporter.citations import processor, speedups

    path = engine.plugins.styles.get("chicago-notes-bibliography").path
    rec = {"id": "r1", "type": "manuscript", "title": "Report on the Situation", "archive": "GARF",
           "archive_location": "f. 1, op. 2", "author": [{"family": "Lvova", "given": "Anna"}],
           "issued": {"date-parts": [[1918, 1, 3]]}, "container-title": "Diaries"}
    first = processor.format_bibliography([rec], path)[0].text
    stored = speedups._macro_cache_size
    second = processor.format_bibliography([dict(rec, id="r2", title="Another Report")], path)[0].text
    added = speedups._macro_cache_size - stored
    assert 0 < added < stored  # the author, date and archive macros were shared
    assert second == first.replace("Report on the Situation", "Another Report")
    renamed = processor.format_bibliography(
        [dict(rec, id="r3", author=[{"family": "Lvova", "given": "Maria"}])], path)[0].text
    assert renamed.startswith("Lvova, Maria.")
    redated = processor.format_citations(
        [dict(rec, id="r4", issued={"date-parts": [[1917, 12, 30]]})], [("r4", None)], path, note=True)[0].text
    assert "December 30, 1917" in redated and "1918" not in redated


def test_canonical_values_tell_types_and_values_apart():
    from exporter.citations.speedups import canonical

    assert canonical("1918") != canonical(1918)
    assert canonical({"family": "A", "given": "B"}) == canonical({"given": "B", "family": "A"})
    assert canonical([{"family": "A"}]) != canonical([{"family": "A"}, {"family": "B"}])
    assert canonical({"year": 1918, "circa": True}) != canonical({"year": 1918, "circa": False})


PROBE_STYLE = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0" default-locale="en-US">
  <info><title>Cache probe</title><id>cache-probe</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <macro name="who">
    <names variable="author"><name initialize-with=". "/>
      <substitute><text macro="what"/></substitute></names>
  </macro>
  <macro name="who-again"><names variable="author"><name initialize-with=". "/></names></macro>
  <macro name="what"><text variable="title" prefix="[" suffix="]"/></macro>
  <macro name="where">
    <choose><if position="subsequent"><text value="again"/></if>
      <else><text variable="archive"/></else></choose>
  </macro>
  <macro name="all">
    <group delimiter=", "><text macro="what" prefix="(" suffix=")"/><text macro="who"/>
      <text macro="what"/><text macro="where"/><text variable="note"/></group>
  </macro>
  <citation><layout delimiter="; "><text macro="all"/></layout></citation>
  <bibliography subsequent-author-substitute="———"><sort><key macro="who-again"/><key variable="title"/></sort>
    <layout><group delimiter=", "><text macro="all"/><text macro="who-again" prefix="by "/></group></layout>
  </bibliography>
</style>
"""


def test_render_state_is_part_of_the_key(tmp_path, fresh_caches):
    """Position and the variables cs:substitute suppressed are part of what a stored rendering
    depends on, and a macro inside cs:substitute still suppresses what it printed: a probe style
    whose macros test position, render the title before and after a names macro that substitutes
    it for a missing author, and serve as sort key and display."""
    from exporter.citations import processor, speedups

    style = tmp_path / "cache-probe.csl"
    style.write_text(PROBE_STYLE, encoding="utf-8")
    author = [{"family": "Lvova", "given": "Anna"}]
    records = [
        {"id": "a", "type": "manuscript", "title": "Tea", "archive": "GARF", "author": author},
        {"id": "b", "type": "manuscript", "title": "Tea", "archive": "GARF", "note": "1"},
        {"id": "c", "type": "manuscript", "title": "Tea", "archive": "GARF", "note": "2"},
        {"id": "d", "type": "manuscript", "title": "Rye", "archive": "GARF", "author": author},
    ]
    cites = [("a", None), ("a", None), ("b", None), ("c", None), ("d", None), ("b", None)]

    def run():
        notes = processor.format_citations(records, cites, style, note=True)
        bib = processor.format_bibliography(records, style)
        return [f.text for f in notes], [f.text for f in bib]

    cached = run()
    again = run()
    processor.clear_caches()
    speedups.MACRO_CACHE_ENABLED = False
    plain = run()
    assert cached == again == plain
    notes, bib = plain
    assert notes == ["([Tea]), A. Lvova, [Tea], GARF", "([Tea]), A. Lvova, [Tea], again",
                     "([Tea]), [Tea], GARF, 1", "([Tea]), [Tea], GARF, 2", "([Rye]), A. Lvova, [Rye], GARF",
                     "([Tea]), [Tea], again, 1"]
    assert bib == ["([Rye]), A. Lvova, [Rye], GARF, by A. Lvova",
                   "([Tea]), ———, [Tea], GARF, by A. Lvova", "([Tea]), [Tea], GARF, 1",
                   "([Tea]), [Tea], GARF, 2"]


def test_seam_joining_matches_citeproc_py():
    """The faster ``normalize_seam`` gives what citeproc-py's gives (which read ``str()`` of both
    pieces): no doubled space or punctuation where two pieces meet, nested segments included."""
    from citeproc import string as cstring
    from citeproc.string import MixedString, NoCase, String

    from exporter.citations import compat

    compat.apply()

    def reference(left, other):  # citeproc-py 0.11's normalize_seam
        left, other_str = str(left), str(other)
        if not left or not other_str:
            return other
        if (left[-1] == " " and other_str[0] == " ") or (
                left[-1] == other_str[0] and other_str[0] in cstring.SEAM_PUNCTUATION):
            return cstring._strip_first_char(other)
        return other

    pieces = ["", " ", ".", ",", "a.", "b ", " c", ".d", String("x."), NoCase(" y"), String(""),
              MixedString([String("p"), String(".")]), MixedString([String(". "), String("")]),
              MixedString([MixedString([String(""), String(",q")]), String("")]), MixedString([])]
    for left in pieces:
        for other in pieces:
            got, expected = cstring.normalize_seam(left, other), reference(left, other)
            assert (type(got), str(got)) == (type(expected), str(expected)), (left, other)


def _structure(value):
    """A text's type and segments, nested, for comparing two texts exactly."""
    if isinstance(value, list):
        return (type(value).__name__, [_structure(v) for v in value])
    return (type(value).__name__, str(value))


def test_string_addition_matches_citeproc_py():
    """The one-function ``String + x`` and ``MixedString + x`` give what citeproc-py's decorated
    methods give: the same segments of the same types, the seam normalised twice as before."""
    from citeproc import string as cstring
    from citeproc.string import MixedString, NoCase, String

    from exporter.citations import compat

    if not compat.apply().get("speedups"):
        pytest.skip("speed patches off (EXPORTER_CITE_SPEEDUPS=0): citeproc-py's own addition runs")

    def reference(left, other):  # citeproc-py 0.11's __add__ (decorator included)
        if other == "":
            return left
        if not isinstance(left, MixedString):
            return reference(MixedString([left]), other)
        other = cstring.normalize_seam(left, other)
        if other == "" or other == []:
            return left
        try:
            return MixedString(list.__add__(left, other))
        except TypeError:
            return MixedString(list.__add__(left, MixedString([other])))

    lefts = [String("x."), String(" "), String(""), NoCase("y "), MixedString([String("p"), String(".")]),
             MixedString([]), MixedString([MixedString([String("a,")]), String("")])]
    others = ["", " ", ".", ",b", "c", String(". d"), NoCase(" e"), String(""), MixedString([]),
              MixedString([String(","), String("f")]), MixedString([MixedString([String(" g")])])]
    for left in lefts:
        for other in others:
            assert _structure(left + other) == _structure(reference(left, other)), (left, other)


def test_text_case_memo_is_emptied_with_the_caches(engine, sample, fresh_caches):
    """Cased texts are record text: ``processor.clear_caches()`` forgets them."""
    from exporter.citations import compat, processor, speedups

    if not compat.apply().get("speedups"):
        pytest.skip("speed patches off (EXPORTER_CITE_SPEEDUPS=0): no memo")
    path = engine.plugins.styles.get("chicago-notes-bibliography").path
    first = processor.format_bibliography(_records(sample), path)
    assert speedups._case_memo
    processor.clear_caches()
    assert not speedups._case_memo
    again = processor.format_bibliography(_records(sample), path)
    assert [(f.id, f.text) for f in again] == [(f.id, f.text) for f in first]
