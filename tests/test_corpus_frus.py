"""The real FRUS volume loads: from/to, dates, archival ids, footnotes, page breaks, BOM."""

from __future__ import annotations

import re

from lxml import etree

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _raw(frus_path):
    return etree.parse(str(frus_path)).getroot()


def test_all_documents_load(frus, frus_path):
    docs = _raw(frus_path).findall(f".//{TEI}div[@type='document']")
    assert len(docs) == 478
    assert [e.local_id for e in frus.entries] == [d.get("{http://www.w3.org/XML/1998/namespace}id") for d in docs]
    assert frus.volumes[0].id == "frus1918Russiav03"


def test_numbered_footnotes_inside_documents(frus, frus_path):
    docs = _raw(frus_path).findall(f".//{TEI}div[@type='document']")
    expected = [n.get("n") for d in docs for n in d.iter(f"{TEI}note") if n.get("n")]
    got = [n.label for e in frus.entries for n in e.notes]
    assert got == expected and len(got) > 250


def test_source_notes_are_metadata_not_footnotes(frus):
    d1 = frus.get("d1")
    assert d1.archival_id == "File No. 861.51/131"
    assert d1.kind == "Telegram" and d1.genre == "telegram"
    assert "File No." not in d1.layers["text"].text and "[Telegram]" not in d1.layers["text"].text


def test_from_to_and_dates(frus):
    d1, d2 = frus.get("d1"), frus.get("d2")
    assert d1.authors[0].literal == "Secretary of State"
    assert (d1.recipients[0].family, d1.recipients[0].given) == ("Francis", "David R.")
    assert (d2.authors[0].family, d2.recipients[0].literal) == ("Francis", "Secretary of State")
    assert d1.date.iso == "1917-04-03" and d1.date.time == "18:00" and d1.place == "Washington"


def test_page_breaks_mid_paragraph(frus):
    assert frus.get("d2").pages() == {"text": ["2", "3"]}
    assert frus.get("d1").pages() == {"text": ["1"]}
    dated = [e for e in frus.entries if e.date.year]
    assert len(dated) > 450
    assert all(e.layers["text"].pages for e in frus.entries)


def test_documents_without_dateline_do_not_crash(frus, frus_path, tmp_path, engine):
    """Documents with no dated dateline load (not skipped), undated, with their title and text;
    the same holds when every dateline of the volume is removed."""
    docs = _raw(frus_path).findall(f".//{TEI}div[@type='document']")
    no_date = {d.get(XML_ID) for d in docs if not any(x.get("when") for x in d.iter(f"{TEI}date"))}
    assert len(no_date) >= 5
    by_id = {e.local_id: e for e in frus.entries}
    assert no_date <= set(by_id)
    for local_id in no_date:
        entry = by_id[local_id]
        assert entry.date.year is None and entry.title and entry.layers["text"].text.strip()
    assert not [w for w in frus.warnings if "skipped" in w]

    text = frus_path.read_bytes().decode("utf-8-sig")
    stripped, n = re.subn(r"<dateline>.*?</dateline>", "", text, flags=re.S)
    assert n > 400
    path = tmp_path / "no-datelines.xml"
    path.write_text(stripped, encoding="utf-8")
    corpus = engine.load(path)
    assert [e.local_id for e in corpus.entries] == [d.get(XML_ID) for d in docs]
    assert not [w for w in corpus.warnings if "skipped" in w]
    d1 = corpus.get("d1")
    assert d1.date.year is None and d1.place in (None, "") and d1.title == frus.get("d1").title


def test_published_form_with_opener(tmp_path, frus_path, engine):
    """The published FRUS form wraps dateline and kind in <opener> and adds frus:doc-dateTime attributes."""
    data = frus_path.read_bytes()
    text = data.decode("utf-8-sig")
    text = re.sub(r'(<div type="document" xml:id="d1" n="1")', r'\1 subtype="historical-document" '
                  r'frus:doc-dateTime-min="1917-04-03T18:00:00-05:00" '
                  r'frus:doc-dateTime-max="1917-04-03T18:00:00-05:00"', text)
    text = re.sub(r'<note rend="inline" type="source">\[Telegram\]</note>\s*<dateline>',
                  '<opener><note rend="inline" type="source">[Telegram]</note>\n<dateline>', text, count=1)
    text = text.replace('6 p.m.</hi></date></dateline>', '6 p.m.</hi></date></dateline></opener>', 1)
    assert "<opener>" in text
    path = tmp_path / "published.xml"
    path.write_text(text, encoding="utf-8")
    corpus = engine.load(path)
    d1 = corpus.get("d1")
    assert d1.date.iso == "1917-04-03" and d1.kind == "Telegram" and d1.place == "Washington"
    assert "[Telegram]" not in d1.layers["text"].text
