"""Selections: ids, table-of-contents ranges, folders, dates, page ranges and layers."""

from __future__ import annotations

import shutil

import pytest

from exporter.engine import ExportRequest, select
from exporter.errors import SelectionError, UsageError


def ids(entries):
    return [e.id for e in entries]


def test_ids_keep_order_and_drop_repeats(sample):
    got = select.by_ids(sample, "kd1-1918-03-06, kd1-1918-01-03,kd1-1918-03-06")
    assert ids(got) == ["kd1-1918-03-06", "kd1-1918-01-03"]


def test_unknown_id_is_an_error(sample):
    with pytest.raises(SelectionError, match="unknown entry id 'nope'"):
        select.by_ids(sample, "kd1-1918-03-06,nope")


def test_range_in_volume_order(sample):
    got = select.by_range(sample, "kd1-1918-03-03a..kd1-1918-03-10")
    assert ids(got) == ["kd1-1918-03-03a", "kd1-1918-03-03b", "kd1-1918-03-06", "kd1-1918-03-10"]
    with pytest.raises(UsageError, match="comes before"):
        select.by_range(sample, "kd1-1918-03-10..kd1-1918-03-03a")


def test_dates(sample):
    got = select.by_dates(sample, "1918-03-01..1918-03-06")
    assert ids(got) == ["kd1-1918-03-03a", "kd1-1918-03-03b", "kd1-1918-03-06"]
    april = ids(select.by_dates(sample, "1918-04"))
    assert "kd1-1918-04" in april and "kd1-1918-04-13" in april  # month-precision entry matches its month
    assert "kd1-undated-1" not in ids(select.by_dates(sample, "1900..2000"))
    for bad in ("1918-13-01..1918-14-01", "March..April", "1918-03-06..1918-03-01"):
        with pytest.raises(UsageError):
            select.by_dates(sample, bad)


def test_folders_are_private_to_owner_or_group(sample):
    assert ids(select.by_folder(sample, "grain-crisis", "irina"))[0] == "kd1-1918-03-14"  # folder order
    with pytest.raises(SelectionError, match="not visible to user 'tomas'"):
        select.by_folder(sample, "grain-crisis", "tomas")
    assert select.by_folder(sample, "brest-litovsk", "leila")  # group member
    with pytest.raises(SelectionError, match="not visible"):
        select.by_folder(sample, "brest-litovsk", "dmitri")
    with pytest.raises(SelectionError, match="unknown folder"):
        select.by_folder(sample, "nope", "irina")


@pytest.mark.parametrize("text, expected", [("21-25", (21, 25)), ("7", (7, 7)), (" 3-3 ", (3, 3))])
def test_page_ranges(text, expected):
    assert select.parse_pages(text) == expected


@pytest.mark.parametrize("text", ["25-21", "0-3", "-3", "3-", "a-b", "1--2", "٢-٣", "２-３", "1-2-3", ""])
def test_bad_page_ranges(text):
    with pytest.raises(UsageError):
        select.parse_pages(text)


def test_pages_narrow_the_text(engine):
    doc = engine.assemble(ExportRequest(format="json", range="kd1-1918-03-03a..kd1-1918-03-06",
                                        pages="21-22", layer="translation", annotations="none"))
    assert [e.id for e in doc.entries] == ["kd1-1918-03-03a", "kd1-1918-03-03b"]
    first = doc.entries[0].layers["translation"]
    assert first.pages == ["21"] and not first.text.startswith("Morning")
    assert "A state may be beaten" in first.text  # text after the mid-paragraph break on p. 21
    assert doc.source_pages == 2


def test_entries_left_out_by_the_pages_are_one_warning(engine):
    """Narrowing a whole volume to a few pages leaves out most entries: one line names them
    (the first ten and a count), not one line per entry."""
    doc = engine.assemble(ExportRequest(format="json", all=True, pages="20-29", layer="translation",
                                        annotations="none"))
    left = [w for w in doc.warnings if "no text on pages 20-29" in w]
    assert len(left) == 1
    total = 46 - len(doc.entries)
    assert left[0].startswith(f"{total} entries have no text on pages 20-29; left out: kd1-1918-01-03, ")
    assert left[0].endswith(f" and {total - 10} more")
    one = engine.assemble(ExportRequest(format="json", range="kd1-1918-03-03a..kd1-1918-03-06",
                                        pages="21-22", layer="translation", annotations="none"))
    assert [w for w in one.warnings if "no text" in w] == ["entry kd1-1918-03-06 has no text on pages 21-22; left out"]


def test_layer_choice(engine):
    doc = engine.assemble(ExportRequest(format="json", entries="kd1-1918-03-06,kd1-1918-03-20",
                                        layer="translation", annotations="none"))
    assert list(doc.entries[0].layers) == ["translation"]
    assert list(doc.entries[1].layers) == ["transcription"]  # it has no translation: kept, with a warning
    assert any("kd1-1918-03-20 has no translation layer" in w for w in doc.warnings)


def test_qualified_ids_when_volumes_share_ids(tmp_path, sample_path, engine):
    folder = tmp_path / "two"
    folder.mkdir()
    src = (sample_path / "dolgorukov-diaries-1918.xml").read_text(encoding="utf-8")
    (folder / "a.xml").write_text(src, encoding="utf-8")
    (folder / "b.xml").write_text(src.replace('xml:id="kd1"', 'xml:id="kd1copy"', 1), encoding="utf-8")
    corpus = engine.load(folder)
    assert corpus.get("kd1:kd1-1918-03-06") and corpus.get("kd1copy:kd1-1918-03-06")
    with pytest.raises(SelectionError, match="several volumes"):
        select.by_ids(corpus, "kd1-1918-03-06")
    got = select.by_ids(corpus, "kd1copy:kd1-1918-03-06")
    assert got[0].volume.id == "kd1copy" and got[0].id == "kd1copy:kd1-1918-03-06"


def test_two_volumes_with_same_volume_id_refused(tmp_path, sample_path, engine):
    from exporter.errors import CorpusError

    folder = tmp_path / "dup"
    folder.mkdir()
    for name in ("a.xml", "b.xml"):
        shutil.copy(sample_path / "dolgorukov-diaries-1918.xml", folder / name)
    with pytest.raises(CorpusError, match="share the id 'kd1'"):
        engine.load(folder)


def test_page_narrowing_keeps_annotations_that_span_the_cut(engine):
    """An annotation crossing the p. 24/25 break keeps its part on the kept page, anchored."""
    from exporter.model import AnnotationEnd, AnnotationStart

    full = engine.assemble(ExportRequest(format="json", entries="kd1-1918-03-06", layer="translation",
                                         user="irina", annotations="visible"))
    crossing = next(a for a in full.annotations if a.id.endswith("a0012"))
    for pages in ("24", "25"):
        doc = engine.assemble(ExportRequest(format="json", entries="kd1-1918-03-06", layer="translation",
                                            user="irina", annotations="visible", pages=pages))
        ids = [a.id for a in doc.annotations]
        assert crossing.id in ids, pages
        items = [i for b in doc.entries[0].layers["translation"].blocks for i in b.inlines]
        starts = [i for i in items if isinstance(i, AnnotationStart) and i.annotation.id == crossing.id]
        ends = [i for i in items if isinstance(i, AnnotationEnd) and i.annotation.id == crossing.id]
        assert len(starts) == len(ends) == 1 and items.index(starts[0]) < items.index(ends[0])
