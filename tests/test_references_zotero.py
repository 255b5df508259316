"""Export Citation as Zotero imports it: every field of the model arrives in the right Zotero field.

The exports of the sample and of the FRUS volume are made by the real console script, read with
independent parsers (rispy, bibtexparser, ``json``) and then put through Zotero's import rules as
written down in ``support/zotero_import.py`` (each rule cites the translator line it encodes: RIS.js,
BibTeX.js, CSL JSON.js -> itemFromCSLJSON, schema.json, extractExtraFields).  What a scholar
finds in their library is compared with what the model holds -- computed here from the entries
themselves, not from the writers.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import FRUS, SAMPLE
from support.zotero_import import import_bibtex, import_csl_file, import_ris, read_ris_tags

CORPORA = {"sample": SAMPLE, "frus": FRUS}
BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    from conftest import run_cli

    out = tmp_path_factory.mktemp("zotero")
    done = {}
    for cname, path in CORPORA.items():
        for fmt in ("ris", "bibtex", "csl-json"):
            target = out / f"{cname}.{fmt}"
            proc = run_cli("export", "--corpus", str(path), "--all", "--format", fmt, "--output", str(target))
            assert proc.returncode == 0, proc.stderr.decode()
            done[cname, fmt] = target.read_bytes()
    return done


@pytest.fixture(scope="module")
def corpora():
    from exporter.engine import Engine

    engine = Engine()
    return {name: engine.load(path).entries for name, path in CORPORA.items()}


# -- what the model holds, as Zotero should show it ---------------------------------------

def one_line(text: str) -> str:
    return " ".join(BREAKS.sub(" ", text).split())


def name(person) -> tuple[str, str | None]:
    """A person as a Zotero creator: (lastName, firstName) or (name, None) for a single field."""
    if person.literal or not person.family:
        return one_line(person.display), None
    return one_line(person.family), one_line(person.given or "") or None


def extra_name(person) -> str:
    last, first = name(person)
    return f"{last} || {first}" if first else last


def item_type(entry) -> str:
    return "letter" if entry.genre in ("letter", "telegram") else "manuscript"


def date_parts(entry) -> tuple:
    d = entry.date
    if d.year is None:
        return ()
    return tuple(p for p in (d.year, d.month, d.day if d.month else None) if p)


def edition_lines(entry) -> list[str]:
    """The Extra lines that carry the edition and what the item type has no field for."""
    vol = entry.volume
    lines = []
    if vol.title:
        lines.append(f"container-title: {one_line(vol.title)}")
    if vol.series:
        lines.append(f"collection-title: {one_line(vol.series)}")
    if vol.series_number:
        lines.append(f"volume: {re.sub(r'(?i)^(volume|vol[.]?)[ ]+', '', one_line(vol.series_number))}")
    lines += [f"editor: {extra_name(p)}" for p in vol.editors if p.display.strip()]
    if vol.publisher:
        lines.append(f"publisher: {one_line(vol.publisher)}")
    if vol.place:
        lines.append(f"Edition place: {one_line(vol.place)}")
    if vol.year:
        lines.append(f"Edition date: {one_line(vol.year)}")
    if entry.number:
        lines.append(f"number: {one_line(entry.number)}")
    if entry.page_range:
        lines.append(f"page: {entry.page_range}")
    if item_type(entry) == "manuscript":
        lines += [f"recipient: {extra_name(p)}" for p in entry.recipients if p.display.strip()]
    elif entry.place:
        lines.append(f"event-place: {one_line(entry.place)}")
    return lines


def expected_fields(entry) -> dict:
    vol = entry.volume
    kind_field = "letterType" if item_type(entry) == "letter" else "manuscriptType"
    fields = {"title": one_line(entry.title) if entry.title else None,
              kind_field: one_line(entry.kind) if entry.kind and entry.genre != "diary" else None,
              "date": date_parts(entry) or None,
              "language": entry.language or (vol.languages[0] if vol.languages else None),
              "archive": one_line(entry.repository) if entry.repository else None,
              "archiveLocation": one_line(entry.archival_id) if entry.archival_id else None,
              "url": entry.iri if vol.base_url else None,
              "abstractNote": one_line(entry.description) if entry.description else None}
    if item_type(entry) == "manuscript":
        # the place of writing, never the publisher's city
        fields["place"] = one_line(entry.place) if entry.place else None
    return {k: v for k, v in fields.items() if v}


def expected_creators(entry) -> list:
    creators = [("author", *name(p)) for p in entry.authors if p.display.strip()]
    if item_type(entry) == "letter":
        creators += [("recipient", *name(p)) for p in entry.recipients if p.display.strip()]
    return creators


def check_item(item, entry, *, date_as_parts: bool = True) -> None:
    """The acceptance list, field by field, with the reason each one is where it is."""
    assert item.itemType == item_type(entry), entry.id
    fields = dict(item.fields)
    if not date_as_parts and "date" in fields:
        fields["date"] = tuple(int(p) for p in fields["date"].split("-"))
    assert fields == expected_fields(entry), entry.id
    # authors are only the authors; recipients are recipients (letters) -- an editor is never a
    # creator.  Compared per creator type: a single-field name with a comma reaches Zotero as an
    # Extra line that becomes a creator on saving, after the others.
    for ctype in ("author", "recipient"):
        assert [c for c in item.creators if c[0] == ctype] == [c for c in expected_creators(entry) if c[0] == ctype]
    assert len(item.creators) == len(expected_creators(entry)), entry.id
    assert Counter(item.extra) == Counter(edition_lines(entry)), entry.id
    if item_type(entry) == "manuscript":
        assert item.fields.get("place") != entry.volume.place or entry.place == entry.volume.place


# -- RIS ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cname", CORPORA)
def test_ris_arrives_in_zotero(exports, corpora, cname):
    records = read_ris_tags(exports[cname, "ris"])
    entries = corpora[cname]
    assert len(records) == len(entries)
    for rec, entry in zip(records, entries):
        item = import_ris(rec)
        # RIS.js dateRIStoZotero gives "YYYY-MM-DD"; compared as its parts
        check_item(item, entry)
        assert not item.notes, entry.id  # nothing left for a note: every value has its field


# -- CSL-JSON -------------------------------------------------------------------------------

@pytest.mark.parametrize("cname", CORPORA)
def test_csl_json_arrives_in_zotero(exports, corpora, cname):
    items = import_csl_file(exports[cname, "csl-json"])
    entries = corpora[cname]
    assert len(items) == len(entries)
    for item, entry in zip(items, entries):
        check_item(item, entry)


# -- BibTeX ---------------------------------------------------------------------------------

def edition_text_parts(entry) -> list[str]:
    vol = entry.volume
    parts = [one_line(vol.title)] + [" ".join(p.display.split()) for p in vol.editors]
    parts += [one_line(x) for x in (vol.publisher, vol.year) if x]
    parts.append(f"no. {entry.number}" if entry.number else f"{entry.page_range}")
    return parts


@pytest.mark.parametrize("cname", CORPORA)
def test_bibtex_arrives_in_zotero(exports, corpora, cname):
    from support.references_expect import read_bib

    _, decoded = read_bib(exports[cname, "bibtex"])
    entries = corpora[cname]
    assert len(decoded.entries) == len(entries)
    for bib, entry in zip(decoded.entries, entries):
        item = import_bibtex(bib)
        assert item.itemType == item_type(entry), entry.id  # bibtex2zoteroTypeMap letter/unpublished
        fields = dict(item.fields)
        exp = expected_fields(entry)
        # BibTeX.js maps no BibTeX field to archive or archiveLocation: they are in the note below
        exp.pop("archive", None)
        exp.pop("archiveLocation", None)
        exp_date = exp.pop("date", None)
        got_date = fields.pop("date", None)
        assert (tuple(int(p) for p in got_date.split("-")) if got_date else None) == exp_date, entry.id
        assert fields == exp, entry.id
        # processField: author -> author creators; no editor field is written (it would become
        # an author of a letter or manuscript), and BibTeX.js reads no recipient field
        assert item.creators == [("author", *name(p)) for p in entry.authors if p.display.strip()], entry.id
        # howpublished -> Extra "Published: ..." (the edition); note -> a child note
        assert len(item.extra) == 1 and item.extra[0].startswith("Published: "), entry.id
        published = item.extra[0]
        for part in edition_text_parts(entry):
            assert part in published, (entry.id, part)
        assert len(item.notes) == 1, entry.id
        note = item.notes[0]
        for label, values in (("Recipient", [" ".join(p.display.split()) for p in entry.recipients]),
                              ("Archive", [entry.repository]), ("Loc. in Archive", [entry.archival_id]),
                              ("Place", [entry.place] if item_type(entry) == "letter" else [])):
            for v in values:
                if v:
                    assert f"{label}" in note and one_line(v) in note, (entry.id, label)


def test_no_value_is_misfiled(exports, corpora):
    """The issue's table, counted: editors never authors, the publisher's city never the place."""
    for cname in CORPORA:
        entries = corpora[cname]
        ris = [import_ris(r) for r in read_ris_tags(exports[cname, "ris"])]
        csl = import_csl_file(exports[cname, "csl-json"])
        for items in (ris, csl):
            for item, entry in zip(items, entries):
                editors = {name(p) for p in entry.volume.editors}
                assert not editors & {(last, first) for _, last, first in item.creators}
                if entry.place != entry.volume.place:
                    assert item.fields.get("place") != entry.volume.place
        sample_manuscripts = [i for i, e in zip(ris, entries) if item_type(e) == "manuscript"]
        assert all(i.fields.get("place") for i in sample_manuscripts if cname == "sample")
