"""``ris``, ``bibtex``, ``csl-json`` end to end: the real CLI on the sample and on FRUS, read back
with independent parsers (rispy, bibtexparser v2, jsonschema), compiled with biber and bibtex."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import FRUS, SAMPLE, VALIDATORS
from support.references_expect import (
    bib_expected,
    biblatex_expected,
    collection_expected,
    csl_expected,
    read_bib,
    read_ris,
    ris_expected,
)

CORPORA = {"sample": SAMPLE, "frus": FRUS}
FORMATS = ("ris", "bibtex", "biblatex", "csl-json")
LINE = re.compile(rb"^(?:[A-Z][A-Z0-9]  - [^\r\n]*|)$")


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Every entry of each corpus through each format, via the real console script (--all)."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("refs")
    done = {}
    for cname, path in CORPORA.items():
        for fmt in FORMATS:
            target = out / f"{cname}.{fmt}"
            proc = run_cli("export", "--corpus", str(path), "--all", "--format", fmt, "--output", str(target),
                           "--json")
            assert proc.returncode == 0, proc.stderr.decode()
            assert not any("CSL mapping" in w for w in json.loads(proc.stdout)["warnings"])
            done[cname, fmt] = target.read_bytes()
    return done


@pytest.fixture(scope="module")
def corpora():
    from exporter.engine import Engine

    engine = Engine()
    return {name: engine.load(path).entries for name, path in CORPORA.items()}


@pytest.mark.parametrize("cname", CORPORA)
def test_ris_reads_back_every_entry(exports, corpora, cname):
    data = exports[cname, "ris"]
    entries = corpora[cname]
    assert data.count(b"\n") == data.count(b"\r\n"), "every line ends in CRLF"
    assert not data.startswith(b"\xef\xbb\xbf")
    lines = data.split(b"\r\n")
    assert all(LINE.match(line) for line in lines), "only TAG  - value lines and blank lines"
    assert data.decode("utf-8").splitlines() == data.decode("utf-8").split("\r\n")[:-1]
    records = read_ris(data)
    assert len(records) == len(entries) == data.count(b"\r\nER  - \r\n")
    for rec, entry in zip(records, entries):
        assert rec == ris_expected(entry), entry.id
    # the acceptance fields, spelled out
    first = next(r for r, e in zip(records, entries) if e.recipients and e.genre in ("letter", "telegram"))
    assert first["title"] and first["authors"] and first["secondary_authors"] and first["date"]
    assert all("M2" in r["unknown_tag"] for r in records), "the edition is in every record's Extra lines"
    assert any("accession_number" in r for r in records)


def test_ris_types_follow_zotero(exports, corpora):
    frus = read_ris(exports["frus", "ris"])
    kinds = {(e.genre, r["type_of_reference"]) for e, r in zip(corpora["frus"], frus)}
    assert ("telegram", "PCOMM") in kinds and ("memorandum", "MANSCPT") in kinds
    assert all(ty == "PCOMM" for g, ty in kinds if g in ("letter", "telegram"))
    telegram = next(r for e, r in zip(corpora["frus"], frus) if e.genre == "telegram")
    assert telegram["type_of_work"] == "Telegram" and re.fullmatch(r"\d{4}/\d\d/\d\d/", telegram["date"])
    sample = read_ris(exports["sample", "ris"])
    diary = [r for e, r in zip(corpora["sample"], sample) if e.genre == "diary"]
    assert diary and all(r["type_of_reference"] == "MANSCPT" for r in diary)
    assert any(r["name_of_database"] for r in sample)


@pytest.mark.parametrize("cname", CORPORA)
def test_bibtex_reads_back_every_entry(exports, corpora, cname):
    data = exports[cname, "bibtex"]
    entries = corpora[cname]
    raw, decoded = read_bib(data)
    assert not raw.failed_blocks and not decoded.failed_blocks
    assert len(decoded.entries) == len(entries)
    keys = [e.key for e in decoded.entries]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[A-Za-z0-9]+-[A-Za-z0-9.:_-]+", k) for k in keys)
    for bib, rawbib, entry in zip(decoded.entries, raw.entries, entries):
        fields = {f.key: f.value for f in bib.fields}
        exp = bib_expected(entry)
        for verbatim in ("url", "date"):  # not LaTeX text: compared as written
            if verbatim in exp:
                assert rawbib.fields_dict[verbatim].value == exp.pop(verbatim)
                fields.pop(verbatim)
        fields.pop("abstract", None) if "abstract" not in exp else None
        assert fields == exp, entry.id
        assert bib.entry_type == ("letter" if entry.genre in ("letter", "telegram") else "unpublished")
    text = data.decode("utf-8")
    assert text.count("{") == text.count("}")


@pytest.mark.parametrize("cname", CORPORA)
def test_biblatex_reads_back_every_entry(exports, corpora, cname):
    data = exports[cname, "biblatex"]
    entries = corpora[cname]
    raw, decoded = read_bib(data)
    assert not raw.failed_blocks and not decoded.failed_blocks
    collections = [e for e in decoded.entries if e.entry_type == "collection"]
    documents = [e for e in decoded.entries if e.entry_type != "collection"]
    raw_documents = [e for e in raw.entries if e.entry_type != "collection"]
    # one @collection per volume, before the volume's first entry
    assert [c.key for c in collections] == list(dict.fromkeys(f"edition-{e.volume.id}" for e in entries))
    for c in collections:
        entry = next(e for e in entries if f"edition-{e.volume.id}" == c.key)
        assert {f.key: f.value for f in c.fields} == collection_expected(entry)
    assert len(documents) == len(entries)
    keys = [e.key for e in decoded.entries]
    assert len(set(keys)) == len(keys)
    for bib, rawbib, entry in zip(documents, raw_documents, entries):
        fields = {f.key: f.value for f in bib.fields}
        exp = biblatex_expected(entry)
        for verbatim in ("url", "date"):
            if verbatim in exp:
                assert rawbib.fields_dict[verbatim].value == exp.pop(verbatim)
                fields.pop(verbatim)
        assert fields == exp, entry.id
        assert bib.entry_type == ("letter" if entry.genre in ("letter", "telegram") else "unpublished")
    text = data.decode("utf-8")
    assert text.count("{") == text.count("}")


#: The fields of @misc in BibLaTeX's data model (blx-dm.def, DeclareDatamodelEntryfields[misc,software]):
#: @letter is one of BibLaTeX's non-standard types, which its standard styles print as @misc, and
#: whose data model declares no fields of its own.
MISC_FIELDS = {"addendum", "author", "editor", "editortype", "howpublished", "language", "location", "note",
               "organization", "pubstate", "subtitle", "title", "titleaddon", "type", "version"}


@pytest.mark.parametrize("cname", CORPORA)
def test_biblatex_validates_against_the_data_model(exports, corpora, tmp_path, cname):
    """biber --validate-datamodel: nothing but @letter's @misc fields and fields the model lacks."""
    biber = _biber()
    (tmp_path / "in.bib").write_bytes(exports[cname, "biblatex"])
    proc = subprocess.run([biber, "--tool", "--validate-datamodel", "--output-file=out.bib", "in.bib"],
                          cwd=tmp_path, capture_output=True, timeout=300)
    log = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0 and "ERROR" not in log, log
    entries = corpora[cname]
    no_author = {k for e in entries if not e.authors for k in [e.id]}
    for line in log.splitlines():
        if "WARN" not in line or "WARNINGS:" in line:
            continue
        m = re.search(r"Invalid field '(\w+)' for entrytype 'letter'", line)
        if m:
            assert m.group(1) in MISC_FIELDS, line
            continue
        m = re.search(r"Entry '([^']+)'.*Missing mandatory field (?:'(\w+)'|- one of 'date, year')", line)
        assert m, line
        key, field = m.groups()
        if key.startswith("edition-"):
            assert field == "editor" and not any(e.volume.editors for e in entries
                                                 if f"edition-{e.volume.id}" == key), line
        elif field == "author":
            assert key.split("-", 1)[1] in no_author or key.startswith("Anon"), line
        else:
            assert key.split("-", 1)[0].endswith("nd"), line  # undated: no date to give


def test_bibtex_keys_are_stable(exports, cli):
    again = cli("export", "--corpus", str(FRUS), "--all", "--format", "bibtex", "--output", "-")
    assert again.returncode == 0
    assert again.stdout == exports["frus", "bibtex"]
    keys = re.findall(rb"^@\w+\{([^,]+),", again.stdout, re.M)
    assert keys[0] == b"SecretaryOfState1917-d1"


@pytest.mark.parametrize("cname", CORPORA)
def test_csl_json_validates_and_round_trips(exports, corpora, cname):
    import jsonschema


    records = json.loads(exports[cname, "csl-json"])
    assert records == [csl_expected(e) for e in corpora[cname]]
    assert not any("editor" in r or "publisher-place" in r for r in records)
    schema = json.loads((VALIDATORS / "csl-schema" / "csl-data.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = list(validator.iter_errors(records))
    assert not errors, errors[0].message
    for rec in records:
        assert not list(validator.iter_errors([rec]))


@pytest.mark.parametrize("fmt", FORMATS)
def test_stdout_equals_file_and_no_print_limit(exports, cli, fmt):
    proc = cli("export", "--corpus", str(FRUS), "--all", "--format", fmt, "--output", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == exports["frus", fmt]


def test_formats_listed_without_print_limit(cli):
    proc = cli("formats", "--json")
    assert proc.returncode == 0
    listed = {f["name"]: f for f in json.loads(proc.stdout)}
    for name in FORMATS:
        assert name in listed
        assert listed[name]["print_limited"] is False


def _biber() -> str:
    exe = shutil.which("biber")
    if not exe:
        pytest.skip("biber is not installed (Debian package biber; scripts/setup.sh installs it)")
    return exe


@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
@pytest.mark.parametrize("cname", CORPORA)
def test_biber_reads_bib_without_errors(exports, tmp_path, cname, fmt):
    biber = _biber()
    (tmp_path / "in.bib").write_bytes(exports[cname, fmt])
    proc = subprocess.run([biber, "--tool", "--output-file=out.bib", "in.bib"], cwd=tmp_path,
                          capture_output=True, timeout=300)
    log = proc.stdout.decode() + proc.stderr.decode()
    assert proc.returncode == 0, log
    assert "ERROR" not in log and "WARN" not in log, log
    # biber read every entry (its output holds one per input entry)
    assert (tmp_path / "out.bib").read_text().count("\n@") + 1 >= exports[cname, fmt].count(b"\n@") + 1


def test_sample_bib_compiles_with_bibtex_and_pdflatex(exports, tmp_path):
    pdflatex, bibtex = shutil.which("pdflatex"), shutil.which("bibtex")
    if not (pdflatex and bibtex):
        pytest.skip("pdflatex/bibtex are not installed (Debian texlive-latex-base, texlive-bibtex-extra; "
                    "scripts/setup.sh installs them)")
    (tmp_path / "refs.bib").write_bytes(exports["sample", "bibtex"] + exports["frus", "bibtex"])
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\begin{document}\n\\nocite{*}\n"
        "\\bibliographystyle{plain}\n\\bibliography{refs}\n\\end{document}\n")

    def run(*cmd):
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-3000:]
        return proc.stdout.decode(errors="replace")

    latex = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    run(*latex)
    log = run(bibtex, "doc")
    assert "error message" not in log, log
    run(*latex)
    run(*latex)
    text = (tmp_path / "doc.log").read_text(errors="replace")
    assert not re.search(r"^! ", text, re.M)
    bbl = (tmp_path / "doc.bbl").read_text()
    assert bbl.count("\\bibitem") == len(re.findall(rb"^@", exports["sample", "bibtex"] + exports["frus", "bibtex"],
                                                   re.M))


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_render_prints_nothing(engine, frus, fmt, capfd):
    """A writer that fails half-way (here: a lone surrogate no loader would let through, in the
    last entry) leaves stdout empty: the engine spools until the render has succeeded."""
    from dataclasses import replace

    from exporter.engine import ExportRequest
    from exporter.errors import RenderError

    request = ExportRequest(format=fmt, corpus=FRUS, range="d1..d300")
    doc = engine.assemble(request, engine.plugins.formats.get(fmt))
    doc.entries[-1] = replace(doc.entries[-1], title="bad \ud800 title", description="bad \ud800")
    capfd.readouterr()
    with pytest.raises(RenderError):
        engine._render(engine.plugins.formats.get(fmt), doc, "-", None)
    assert capfd.readouterr().out == ""


def test_mapping_drift_is_reported_as_a_warning(engine, frus_path, tmp_path, monkeypatch):
    import exporter.formats.references.zotero as zotero_module
    from exporter.csl import entry_to_csl
    from exporter.engine import ExportRequest

    def changed(entry):
        rec = entry_to_csl(entry)
        rec["title"] = "Changed"
        return rec

    monkeypatch.setattr(zotero_module, "entry_to_csl", changed)
    result = engine.export(ExportRequest(format="ris", corpus=frus_path, range="d1..d3"), tmp_path / "x.ris")
    assert any("frus1918Russiav03" in w and "CSL mapping" in w for w in result.warnings)
    assert [r["title"] for r in read_ris((tmp_path / "x.ris").read_bytes())] == ["Changed"] * 3
