"""Property tests: hostile titles and names through ris, bibtex and csl-json.

Synthetic entries (built directly from ``exporter.model``) carry braces, %, backslashes, line
breaks of every kind, forged ``ER  - `` lines, ``=``, ``@type{``, Cyrillic, combining marks,
emoji, bidi controls and 5,000-character values.  Record counts never change, and every value
reads back as the mapping gives it, up to the documented normalisation (RIS: line breaks become
spaces, trimmed; BibTeX: whitespace runs become one space, trimmed).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import VALIDATORS
from exporter.csl import entry_to_csl
from exporter.formats.references.biblatex import write_biblatex
from exporter.formats.references.bibtex import bib_key, key_id, write_bibtex
from exporter.formats.references.csl_json import write_csl_json
from exporter.formats.references.ris import write_ris
from exporter.model import Entry, EntryDate, Layer, Person, Volume
from support.references_expect import (
    bib_expected,
    biblatex_expected,
    collection_expected,
    csl_expected,
    read_bib,
    read_ris,
    ris_expected,
)

PIECES = ["{", "}", "{{", "}}", "%", "\\", "\\n", "\n", "\r\n", "\r", "\nER  - ", "ER  - ", "TY  - JOUR", "=",
          "@misc{x,", "\"", "#", "&", "_", "$", "^", "~", "--", "---", "''", "``", "?`", "<<", ",,", "  ", "\t",
          " and ", "and", ",", "Кириллица", "Долгоруков", "e\u0301", "\u0301", "😀", "👩‍👩‍👧", "\u202e", "\u200f",
          "\u2066", "\u2028", "\u2029", "\x85", "\v", "\f", "\x1c", "\xa0", "\u3000", "中文", "\\textbf{x}",
          "\\%", "}{", "\\{", "a", "Smith", " "]
# Text the loaders could hand over: no surrogates, no C0 controls other than tab and the
# line breaks under test (textnorm replaces the rest at load time).
CHARS = st.characters(blacklist_categories=("Cs",),
                      blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r\v\f\x1c\x1d\x1e"))
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(CHARS, max_size=6)), max_size=8).map("".join)
long = hostile.filter(lambda s: s.strip()).map(lambda s: (s * (5000 // len(s) + 1))[:5000])
value = st.one_of(hostile, hostile, hostile, long)
maybe = st.one_of(st.none(), value)
# pylatexenc (the BibTeX decoder) needs seconds per 5,000-character escaped value, so the
# BibTeX property runs on short values and test_bibtex_long_values covers the long ones.
short_value = hostile
short_maybe = st.one_of(st.none(), hostile)


@st.composite
def people(draw, value=value, maybe=maybe, max_size=3):
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        if draw(st.booleans()):
            out.append(Person(literal=draw(value)))
        else:
            out.append(Person(family=draw(value), given=draw(maybe)))
    return out


@st.composite
def volumes(draw, value=value, maybe=maybe):
    return Volume(id=draw(st.sampled_from(["v1", "frus1918Russiav03", "kd1"])), title=draw(value),
                  editors=draw(people(value, maybe)), publisher=draw(maybe), place=draw(maybe), series=draw(maybe),
                  series_number=draw(st.one_of(st.none(), st.just("Volume III"), value)),
                  languages=draw(st.lists(st.sampled_from(["en", "ru", "fr", "xx"]), max_size=2)),
                  base_url=draw(st.sampled_from([None, "https://history.example.org/docs/", "https://a.b/x%20y"])))


@st.composite
def entry_lists(draw, value=value, maybe=maybe):
    vols = [draw(volumes(value, maybe)) for _ in range(draw(st.integers(1, 2)))]
    for k, vol in enumerate(vols):
        vol.id = f"{vol.id}{k}"  # volume ids are unique in a corpus
    n = draw(st.integers(1, 6))
    ids = draw(st.lists(st.one_of(st.text(CHARS, min_size=1, max_size=10),
                                  st.sampled_from(["d1", "a_b", "a b", "a:b"])),
                        min_size=n, max_size=n, unique=True))
    out = []
    for i, local in enumerate(ids):
        year = draw(st.one_of(st.none(), st.integers(1, 9999)))
        month = draw(st.one_of(st.none(), st.integers(1, 12)))
        day = draw(st.one_of(st.none(), st.integers(1, 28)))
        pages = draw(st.lists(st.one_of(st.sampled_from(["1", "21", "xii", "3a"]), hostile.filter(str.strip)),
                              max_size=3))
        out.append(Entry(
            id=local, local_id=local, volume=draw(st.sampled_from(vols)), title=draw(value), heading=[],
            kind=draw(maybe), genre=draw(st.sampled_from(["letter", "telegram", "diary", "memorandum", None, "odd"])),
            number=draw(maybe), date=EntryDate(year, month, day, draw(st.booleans())),
            authors=draw(people(value, maybe)), recipients=draw(people(value, maybe)), repository=draw(maybe),
            archival_id=draw(maybe), description=draw(maybe), language=draw(st.one_of(st.none(), st.just("ru"), value)),
            layers={"text": Layer("text", None, [], pages)}, order=i))
    return out


URL_SPACE = re.compile("[\t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])


def render(writer, entries, expect_fallback: bool = False) -> bytes:
    """Write ``entries``; unless told otherwise, require that the fast path was used throughout
    (no volume fell back to the mapping path), so the checks below test the fast path."""
    out, fallbacks = io.BytesIO(), []
    assert writer(entries, out, fallbacks) == len(entries)
    assert bool(fallbacks) == expect_fallback, fallbacks
    return out.getvalue()


@SETTINGS
@given(entry_lists())
def test_ris_hostile_values(entries):
    data = render(write_ris, entries)
    assert data.count(b"\n") == data.count(b"\r\n")
    text = data.decode("utf-8")
    assert text.splitlines() == text.split("\r\n")[:-1], "no line break inside a value"
    assert all(re.match(r"^(?:[A-Z][A-Z0-9]  - |$)", line) for line in text.split("\r\n"))
    records = read_ris(data)
    assert len(records) == len(entries)
    for rec, entry in zip(records, entries):
        assert rec == ris_expected(entry)


@SETTINGS
@given(entry_lists(short_value, short_maybe))
def test_bibtex_hostile_values(entries):
    check_bibtex(entries)


def test_bibtex_long_values():
    piece = "".join(PIECES)
    text = (piece * (5000 // len(piece) + 1))[:5000]
    vol = Volume(id="v", title=text, editors=[Person(family=text, given=text)], base_url="https://a.b/")
    check_bibtex([Entry(id="e1", local_id="e1", volume=vol, heading=[], title=text, genre="letter", kind=text,
                        authors=[Person(literal=text), Person(family=text, given=text)],
                        recipients=[Person(family=text)], repository=text, archival_id=text, description=text,
                        date=EntryDate(1918, 3, 1), layers={"text": Layer("text", None, [], [text, "2"])})])


@SETTINGS
@given(entry_lists(short_value, short_maybe))
def test_biblatex_hostile_values(entries):
    check_bibtex(entries, write_biblatex)


def check_bibtex(entries, writer=write_bibtex):
    data = render(writer, entries)
    text = data.decode("utf-8")
    assert text.count("{") == text.count("}"), "braces balanced"
    raw, decoded = read_bib(data, full_decoder=True)
    assert not raw.failed_blocks and not decoded.failed_blocks
    expected = bib_expected if writer is write_bibtex else biblatex_expected
    if writer is write_biblatex:
        collections = [e for e in decoded.entries if e.entry_type == "collection"]
        volumes = list(dict.fromkeys(e.volume.id for e in entries))
        assert [c.key for c in collections] == [f"edition-{key_id(v)}" for v in volumes]
        for c in collections:
            first = next(e for e in entries if f"edition-{key_id(e.volume.id)}" == c.key)
            assert {f.key: f.value for f in c.fields} == collection_expected(first)
        decoded.remove(collections)
        raw.remove([e for e in raw.entries if e.entry_type == "collection"])
    assert len(decoded.entries) == len(entries)
    keys = [e.key for e in decoded.entries]
    assert len(set(keys)) == len(keys) and all(k.isascii() for k in keys)
    assert keys == [bib_key(e) for e in entries]
    for bib, rawbib, entry in zip(decoded.entries, raw.entries, entries):
        fields = {f.key: f.value for f in bib.fields}
        exp = expected(entry)
        if "date" in exp:
            assert rawbib.fields_dict["date"].value == exp.pop("date")
            fields.pop("date")
        if "url" in exp:
            url = rawbib.fields_dict["url"].value
            assert re.fullmatch(r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+", url)
            assert unquote(url) == unquote(URL_SPACE.sub(" ", exp.pop("url")).strip())
            fields.pop("url")
        assert fields == exp


@SETTINGS
@given(entry_lists())
def test_csl_json_hostile_values(entries):
    import jsonschema

    records = json.loads(render(write_csl_json, entries))
    assert records == [csl_expected(e) for e in entries]
    schema = json.loads((VALIDATORS / "csl-schema" / "csl-data.json").read_text())
    jsonschema.validate(records, schema, cls=jsonschema.Draft7Validator)


@settings(max_examples=300, deadline=None)
@given(st.text(CHARS, min_size=1), st.text(CHARS, min_size=1))
def test_key_id_is_injective(a, b):
    assert (key_id(a) == key_id(b)) == (a == b)
    assert re.fullmatch(r"[A-Za-z0-9.:_-]+", key_id(a))


def test_empty_selection_writes_valid_empty_outputs():
    assert json.loads(render(write_csl_json, [])) == []
    assert render(write_ris, []) == b"" and render(write_bibtex, []) == b"" and render(write_biblatex, []) == b""


def test_forged_record_cannot_end_or_start_a_record():
    vol = Volume(id="v", title="V")
    evil = Entry(id="e1", local_id="e1", volume=vol, heading=[],
                 title="Real title\r\nER  - \r\n\r\nTY  - JOUR\r\nTI  - Forged\u2028ER  - ",
                 authors=[Person(family="Smith\nAU  - Forged", given="J.")])
    data = render(write_ris, [evil])
    records = read_ris(data)
    assert len(records) == 1
    assert records[0]["title"] == "Real title  ER  -     TY  - JOUR  TI  - Forged ER  -"
    assert data.count(b"\r\nER  - ") == 1 and data.startswith(b"TY  - ")
    assert records[0]["authors"] == ["Smith AU - Forged, J."]  # the mapping collapses name whitespace


@pytest.mark.parametrize("writer", [write_bibtex, write_biblatex])
def test_biber_reads_hostile_bib(tmp_path, writer):
    biber = shutil.which("biber")
    if not biber:
        pytest.skip("biber is not installed (Debian package biber; scripts/setup.sh installs it)")
    vol = Volume(id="v", title="Vol {1} 100% & #2 \\ ^ ~ $x$ _y_",
                 editors=[Person(family="O'Brien", given="and Co, Ltd")])
    entries = [Entry(id=f"e{i}", local_id=f"e{i}", volume=vol, heading=[], title=t, genre=g,
                     authors=[Person(literal=t[:40]), Person(family="Долгоруков", given="К. А.")],
                     date=EntryDate(1918, 3, 1, approximate=True), description=t)
               for i, (t, g) in enumerate([(p * 3, "letter") for p in PIECES] + [("x" * 5000, "diary")])]
    (tmp_path / "in.bib").write_bytes(render(writer, entries))
    proc = subprocess.run([biber, "--tool", "--output-file=out.bib", "in.bib"], cwd=tmp_path,
                          capture_output=True, timeout=300)
    log = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, log
    assert "ERROR" not in log and "WARN" not in log, log
    assert (tmp_path / "out.bib").read_text().count("@") >= len(entries)


def test_csl_json_falls_back_to_the_mapping_when_it_changes(monkeypatch):
    """If the mapping gains a variable this writer does not know, the volume goes through it."""
    import exporter.formats.references.zotero as module

    def changed(entry):
        rec = entry_to_csl(entry)
        rec["dimensions"] = "3 leaves"
        return rec

    monkeypatch.setattr(module, "entry_to_csl", changed)
    vol = Volume(id="v", title="V")
    entries = [Entry(id=f"e{i}", local_id=f"e{i}", volume=vol, heading=[], title=f"T{i}") for i in range(3)]
    assert json.loads(render(write_csl_json, entries, expect_fallback=True)) == [
        {**csl_expected(e), "dimensions": "3 leaves"} for e in entries]


@pytest.mark.parametrize("writer_name", ["ris", "bibtex", "biblatex"])
def test_writers_follow_a_changed_mapping(monkeypatch, writer_name):
    """If the mapping changes a value in a way the fast path does not know, the guard notices on
    the volume's first entry and the volume is written from the mapping."""
    import exporter.formats.references.biblatex as biblatex_module
    import exporter.formats.references.bibtex as bib_module
    import exporter.formats.references.zotero as zotero_module

    module = {"ris": zotero_module, "bibtex": bib_module, "biblatex": biblatex_module}[writer_name]

    def changed(entry):
        rec = entry_to_csl(entry)
        rec["title"] = rec["title"].upper()
        return rec

    monkeypatch.setattr(module, "entry_to_csl", changed)
    vol = Volume(id="v", title="V")
    entries = [Entry(id=f"e{i}", local_id=f"e{i}", volume=vol, heading=[], title=f"title {i}", genre="letter")
               for i in range(3)]
    if writer_name == "ris":
        records = read_ris(render(write_ris, entries, expect_fallback=True))
        assert [r["title"] for r in records] == ["TITLE 0", "TITLE 1", "TITLE 2"]
    else:
        writer = write_bibtex if writer_name == "bibtex" else write_biblatex
        _, decoded = read_bib(render(writer, entries, expect_fallback=True))
        assert [e.fields_dict["title"].value for e in decoded.entries
                if e.entry_type != "collection"] == ["TITLE 0", "TITLE 1", "TITLE 2"]


def test_fast_paths_equal_the_mapping_paths(sample, frus):
    """Every record the fast paths write equals the one written from the mapping (entry_to_csl,
    and for RIS and CSL-JSON the Zotero record built from it)."""
    from exporter.formats.references.biblatex import biblatex_from_csl, collection_entry
    from exporter.formats.references.bibtex import bib_from_csl
    from exporter.formats.references.ris import ris_from_csl
    from exporter.formats.references.zotero import zotero_record

    entries = sample.entries + frus.entries
    ris = render(write_ris, entries).decode()
    assert ris == "".join(ris_from_csl(None, e) for e in entries)
    bib = render(write_bibtex, entries).decode()
    assert bib == "".join(bib_from_csl(entry_to_csl(e), e) for e in entries)
    seen, expected = set(), []
    for e in entries:
        if e.volume.id not in seen:
            seen.add(e.volume.id)
            expected.append(collection_entry(entry_to_csl(e), e))
        expected.append(biblatex_from_csl(entry_to_csl(e), e))
    assert render(write_biblatex, entries).decode() == "".join(expected)
    records = json.loads(render(write_csl_json, entries))
    assert records == [zotero_record(e) for e in entries]
