"""The bundled sample volume loads with everything the corpus spec promises."""

from __future__ import annotations

import re

from lxml import etree

from conftest import SAMPLE

TEI = "{http://www.tei-c.org/ns/1.0}"


def test_sample_counts(sample):
    entries = sample.entries
    dated = [e for e in entries if e.date.year is not None]
    assert len(dated) >= 40
    undated = [e for e in entries if e.date.year is None]
    assert len(undated) == 1 and undated[0].date.iso is None
    pages = {(name, p) for e in entries for name, lay in e.layers.items() for p in lay.pages}
    assert len({p for name, p in pages if name == "translation"}) >= 60
    assert sum(len(e.notes) for e in entries) >= 60
    both = [e for e in entries if set(e.layers) == {"translation", "transcription"}]
    assert len(both) > len(entries) / 2


def test_sample_counts_match_raw_xml(sample):
    """Independent count with lxml: every entry and every editorial note arrives in the model."""
    root = etree.parse(str(SAMPLE / "dolgorukov-diaries-1918.xml")).getroot()
    divs = root.findall(f".//{TEI}div[@type='entry']")
    notes = [n for d in divs for n in d.iter(f"{TEI}note") if n.get("type") not in {"meta", "source"}]
    assert len(sample.entries) == len(divs)
    assert sum(len(e.notes) for e in sample.entries) == len(notes)
    assert [e.local_id for e in sample.entries] == [d.get("{http://www.w3.org/XML/1998/namespace}id") for d in divs]


def test_transcription_is_cyrillic(sample):
    texts = [e.layers["transcription"].text for e in sample.entries if "transcription" in e.layers]
    assert texts and all(re.search("[А-Яа-я]{4}", t) for t in texts)


def test_same_day_entries_told_apart(sample):
    by_date = {}
    for e in sample.entries:
        if e.date.day:
            by_date.setdefault(e.date.iso, []).append(e)
    pairs = [v for v in by_date.values() if len(v) > 1]
    assert pairs
    for group in pairs:
        assert len({e.title for e in group}) == len(group)
        assert len({e.id for e in group}) == len(group)
        assert all(re.search(r"\(\d\)$", e.title) for e in group)


def test_partial_and_approximate_dates(sample):
    month = [e for e in sample.entries if e.date.precision == "month"]
    approx = [e for e in sample.entries if e.date.approximate]
    assert month and month[0].date.iso == "1918-04"
    assert approx


def test_layer_without_page_break_inherits_page(sample):
    """kd1-1918-04-13's translation has no pb: it lies on the page in effect (41) and counts once."""
    e = sample.get("kd1-1918-04-13")
    lay = e.layers["translation"]
    assert not any(getattr(i, "label", None) for b in lay.blocks for i in b.inlines if type(i).__name__ == "PageBreak")
    assert lay.pages == ["41"] and lay.start_page == "41"


def test_mid_paragraph_page_break_spans_pages(sample):
    e = sample.get("kd1-1918-03-03a")
    assert e.layers["translation"].pages == ["20", "21"]


def test_metadata_fields(sample):
    e = sample.get("kd1-1918-03-03b")
    assert e.authors[0].family == "Dolgorukov" and e.authors[0].given == "Konstantin"
    assert e.recipients and e.genre == "letter"
    assert e.repository and e.archival_id and e.description and e.place
    v = e.volume
    assert v.title.startswith("The Diaries and Correspondence")
    assert v.editors and v.publisher and v.place and v.year and v.series and v.identifier
    assert set(v.languages) == {"en", "ru"} and "ten source pages" in v.terms
    assert any("fictional" in n.lower() for n in v.notes)


def test_facsimile_references_kept(sample):
    facs = [i.facs for e in sample.entries for lay in e.layers.values() for b in lay.blocks
            for i in b.inlines if type(i).__name__ == "PageBreak" and i.facs]
    assert facs


def test_annotations_and_archive(sample):
    anns = sample.annotations
    assert len(anns) >= 50
    assert len({a.creator for a in anns}) >= 3
    assert {a.visibility for a in anns} == {"private", "group", "public"}
    assert len(sample.groups) >= 2 and len(sample.folders) >= 2
    assert all(a.created for a in anns) and all(a.creator_name for a in anns)
