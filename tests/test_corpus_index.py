"""The on-disk corpus index: the same answers as a corpus held in memory, volumes read on demand.

Each test names its own index folder (``EXPORTER_INDEX_DIR``) and sets ``EXPORTER_CORPUS_INDEX``
to ``on`` or ``off``, so that both paths run on the same corpus in the same test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FRUS, SAMPLE, run_cli
from exporter.engine import Engine, ExportRequest
from exporter.errors import CorpusError, SelectionError
from exporter.model import EntryStore
from exporter.sources import lazy, safexml


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = run_cli(*args, env=env)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.fixture
def index_dir(tmp_path, monkeypatch):
    folder = tmp_path / "index"
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(folder))
    return folder


def _engine(monkeypatch, mode: str) -> Engine:
    monkeypatch.setenv("EXPORTER_CORPUS_INDEX", mode)
    return Engine()


def _toc(corpus) -> list[tuple]:
    return [(e.id, e.local_id, e.qualified_id, e.title, e.date.iso, e.volume.id, e.order, e.pages())
            for e in corpus.summaries()]


@pytest.fixture
def parses(monkeypatch):
    """Counts volume files parsed (through the hardened XML path every TEI volume takes)."""
    seen: list[str] = []
    real = safexml.parse_file

    def counting(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(safexml, "parse_file", counting)
    return seen


def _pdf_text(path: Path) -> str:
    """The PDF's text, its export time masked: the two renders may fall either side of a minute."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    masked, count = re.subn(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<exported> UTC", text)
    assert count, "the PDF's export time is not where the test expects it"
    return masked


@pytest.mark.parametrize("which", ["sample", "frus"])
def test_same_toc_selection_and_exports_with_and_without_the_index(which, index_dir, monkeypatch, tmp_path):
    path = SAMPLE if which == "sample" else FRUS
    if which == "sample":
        first, last, ids, user = "kd1-1918-01-03", "kd1-1918-03-03a", "kd1-1918-01-08,kd1-1918-03-03a", "irina"
    else:
        first, last, ids, user = "d1", "d40", "d2,d3", None
    results = {}
    for mode in ("off", "on"):
        engine = _engine(monkeypatch, mode)
        corpus = engine.load(path)
        assert isinstance(corpus.entries, EntryStore) == (mode == "on")
        out = tmp_path / mode
        out.mkdir()
        ris = engine.export(ExportRequest(format="ris", corpus=path, range=f"{first}..{last}", user=user),
                            out / "sel.ris")
        pdf = engine.export(ExportRequest(format="pdf", corpus=path, entries=ids, user=user, accept_terms=True),
                            out / "sel.pdf")
        chosen = engine.resolve(corpus, ExportRequest(format="ris", corpus=path, dates="1918-03"))
        results[mode] = {
            "toc": _toc(corpus),
            "volumes": corpus.volumes,
            "warnings": corpus.warnings,
            "inputs": corpus.inputs,
            "annotations": [(a.id, a.entry_id, a.layer) for a in corpus.annotations],
            "dates": [(e.id, e.order, e.title) for e in chosen],
            "entry": corpus.get(first),
            "ris": (out / "sel.ris").read_bytes(),
            "ris_result": (ris.entries, ris.annotations, ris.source_pages),
            "pdf": _pdf_text(out / "sel.pdf"),
            "pdf_result": (pdf.entries, pdf.annotations, pdf.source_pages, pdf.warnings),
        }
    off, on = results["off"], results["on"]
    assert len(off["toc"]) == (46 if which == "sample" else 478)
    for key in off:
        assert on[key] == off[key], key
    assert off["dates"] or which == "frus"
    if which == "sample":
        assert off["annotations"]


def test_toc_json_from_the_command_line_is_the_same(index_dir):
    runs = {}
    for mode in ("off", "on"):
        proc = _cli("toc", "--corpus", str(FRUS), "--json",
                       env={"EXPORTER_INDEX_DIR": str(index_dir), "EXPORTER_CORPUS_INDEX": mode})
        assert proc.returncode == 0, proc.stderr
        runs[mode] = proc.stdout
    assert runs["on"] == runs["off"]
    assert len(json.loads(runs["on"])) == 478
    assert list(index_dir.glob("corpus-*.sqlite"))


def test_toc_of_one_volume_and_an_unknown_volume(index_dir):
    env = {"EXPORTER_INDEX_DIR": str(index_dir), "EXPORTER_CORPUS_INDEX": "on"}
    proc = _cli("toc", "--corpus", str(FRUS), "--volume", "frus1918Russiav03", env=env)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 478
    proc = _cli("toc", "--corpus", str(FRUS), "--volume", "nope", env=env)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "exporter: error: --volume 'nope': no such volume; volumes: frus1918Russiav03"]


def _copies(folder: Path, n: int) -> None:
    src = FRUS.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        data = src.replace(b'xml:id="frus1918Russiav03"', f'xml:id="frus-{i:02d}"'.encode(), 1)
        data = data.replace(b'<idno type="frus">frus1918Russiav03</idno>',
                            f'<idno type="frus">frus-{i:02d}</idno>'.encode())
        (folder / f"frus-{i:02d}.xml").write_bytes(data)


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """A corpus of 30 copies of the FRUS volume (14,340 entries) and its index, built once."""
    root = tmp_path_factory.mktemp("many")
    _copies(root / "corpus", 30)
    env = {"EXPORTER_INDEX_DIR": str(root / "index"), "EXPORTER_CORPUS_INDEX": "auto"}
    proc = _cli("toc", "--corpus", str(root / "corpus"), "--volume", "frus-00", env=env)
    assert proc.returncode == 0, proc.stderr
    # The first command builds the index, saying so on stderr (30 files: a progress line).
    assert "indexing 30 volume file(s)" in proc.stderr and "indexed 30/30 files" in proc.stderr
    return root


def test_many_volumes_answer_toc_of_one_volume_without_parsing_any(many, monkeypatch, parses):
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(many / "index"))
    monkeypatch.setenv("EXPORTER_CORPUS_INDEX", "auto")  # 30 x 2.25 MB: indexed by default
    corpus = Engine().load(many / "corpus")
    assert isinstance(corpus.entries, EntryStore) and len(corpus.entries) == 30 * 478
    rows = list(corpus.summaries("frus-17"))
    assert len(rows) == 478 and rows[0].id == "frus-17:d1" and rows[0].order == 17 * 478
    assert rows[1].pages() == {"text": ["2", "3"]}
    assert parses == []
    # An entry, a selection of one volume: only that volume's file is read.
    assert corpus.get("frus-17:d2").title == rows[1].title
    assert parses == ["frus-17.xml"]
    assert [e.id for e in corpus.entries[17 * 478 + 5:17 * 478 + 8]] == ["frus-17:d6", "frus-17:d7", "frus-17:d8"]
    assert parses == ["frus-17.xml"]


def test_many_volumes_ris_of_one_volume_reads_one_file(many, monkeypatch, parses, tmp_path):
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(many / "index"))
    engine = Engine()
    result = engine.export(ExportRequest(format="ris", corpus=many / "corpus", range="frus-03:d1..frus-03:d478"),
                           tmp_path / "vol.ris")
    assert result.entries == 478
    assert parses == ["frus-03.xml"]
    text = (tmp_path / "vol.ris").read_text(encoding="utf-8")
    assert text.count("TY  - ") == 478


def test_many_volumes_bare_id_is_refused_with_qualified_candidates(many, monkeypatch, parses):
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(many / "index"))
    corpus = Engine().load(many / "corpus")
    with pytest.raises(SelectionError, match="entry id 'd5' is in several volumes; name one of: frus-00:d5, "):
        Engine().resolve(corpus, ExportRequest(format="ris", entries="d5"))
    with pytest.raises(SelectionError, match="unknown entry id 'frus-99:d5'"):
        corpus.get("frus-99:d5") or Engine().resolve(corpus, ExportRequest(format="ris", entries="frus-99:d5"))
    assert parses == []


def test_parsed_volumes_stay_bounded(many, monkeypatch, parses):
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(many / "index"))
    monkeypatch.setenv("EXPORTER_VOLUME_CACHE", "2")
    corpus = Engine().load(many / "corpus")
    store = corpus.entries
    assert isinstance(store, lazy.IndexedEntries)
    for k in (0, 5, 9, 0):
        assert store[k * 478].id == f"frus-{k:02d}:d1"
        assert len(store._parsed) <= 2
    assert parses == ["frus-00.xml", "frus-05.xml", "frus-09.xml", "frus-00.xml"]


def test_changed_file_is_indexed_again_and_only_it(tmp_path, index_dir, monkeypatch, parses):
    folder = tmp_path / "corpus"
    _copies(folder, 3)
    engine = _engine(monkeypatch, "on")
    assert engine.load(folder).get("frus-01:d1").title.startswith("The Secretary of State")
    assert sorted(parses) == ["frus-00.xml", "frus-01.xml", "frus-01.xml", "frus-02.xml"]  # indexed, then d1 built
    parses.clear()
    changed = folder / "frus-01.xml"
    changed.write_bytes(changed.read_bytes().replace(b"to the Ambassador in Russia</hi> (<persName",
                                                     b"to the Envoy</hi> (<persName", 1))
    corpus = _engine(monkeypatch, "on").load(folder)
    assert parses == ["frus-01.xml"]  # the other files are answered from the index
    rows = {e.id: e for e in corpus.summaries("frus-01")}
    assert rows["frus-01:d1"].title == "The Secretary of State to the Envoy (Francis)"
    assert corpus.get("frus-01:d1").title == "The Secretary of State to the Envoy (Francis)"
    assert _toc(corpus) == _toc(_engine(monkeypatch, "off").load(folder))
    # A file removed from the folder leaves the index; the numbering follows.
    (folder / "frus-00.xml").unlink()
    corpus = _engine(monkeypatch, "on").load(folder)
    assert [v.id for v in corpus.volumes] == ["frus-01", "frus-02"]
    assert corpus.get("frus-02:d1").order == 478


def test_file_changed_while_in_use_is_refused_not_trusted(tmp_path, index_dir, monkeypatch):
    folder = tmp_path / "corpus"
    _copies(folder, 2)
    corpus = _engine(monkeypatch, "on").load(folder)
    target = folder / "frus-01.xml"
    target.write_bytes(target.read_bytes().replace(b'xml:id="d2"', b'xml:id="d2-renamed"', 1))
    with pytest.raises(CorpusError, match="frus-01.xml: changed since the corpus was read; run the command again"):
        corpus.get("frus-01:d1")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong-version", "bad-row"])
def test_damaged_index_is_rebuilt(damage, tmp_path, index_dir, monkeypatch):
    folder = tmp_path / "corpus"
    _copies(folder, 2)
    before = _toc(_engine(monkeypatch, "on").load(folder))
    (db,) = index_dir.glob("corpus-*.sqlite")
    data = db.read_bytes()
    if damage == "garbage":
        db.write_bytes(b"\x00not an index\xff" * 1000)
    elif damage == "truncated":
        db.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        db.write_bytes(b"")
    else:
        conn = sqlite3.connect(db)
        if damage == "wrong-version":
            conn.execute("UPDATE meta SET value = '[\"0\", []]'")
        else:
            conn.execute("UPDATE volumes SET header = '{\"nonsense\": 1}'")
        conn.commit()
        conn.close()
    corpus = _engine(monkeypatch, "on").load(folder)
    assert _toc(corpus) == before
    assert corpus.get("frus-01:d3").title == before[478 + 2][3]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 2 * 478
    conn.close()


def test_unwritable_index_folder_falls_back_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(blocker / "index"))
    corpus = _engine(monkeypatch, "on").load(FRUS)
    assert not isinstance(corpus.entries, EntryStore) and len(corpus.entries) == 478
    notes = [w for w in corpus.warnings if "corpus index" in w]
    assert len(notes) == 1 and "\n" not in notes[0]
    assert notes[0].startswith(f"cannot write the corpus index in {blocker / 'index'}")
    assert notes[0].endswith("; every volume is loaded instead")
    proc = _cli("export", "--corpus", str(FRUS), "--entries", "d1", "--format", "ris",
                   "--output", str(tmp_path / "d1.ris"),
                   env={"EXPORTER_INDEX_DIR": str(blocker / "index"), "EXPORTER_CORPUS_INDEX": "on"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "cannot write the corpus index" in proc.stderr


def test_hostile_volume_in_an_indexed_corpus_is_refused_as_without(tmp_path, index_dir, monkeypatch):
    folder = tmp_path / "corpus"
    _copies(folder, 2)
    (folder / "frus-99.xml").write_bytes(b'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                         b'<TEI xmlns="http://www.tei-c.org/ns/1.0">&x;</TEI>')
    messages = []
    for mode in ("off", "on", "on"):
        with pytest.raises(CorpusError) as info:
            _engine(monkeypatch, mode).load(folder)
        messages.append(str(info.value))
    assert messages[0] == messages[1] == messages[2] and "frus-99.xml" in messages[0]


def test_index_serves_a_folder_given_by_another_spelling(tmp_path, index_dir, monkeypatch, parses):
    folder = tmp_path / "corpus"
    _copies(folder, 2)
    _engine(monkeypatch, "on").load(folder)
    parses.clear()
    monkeypatch.chdir(tmp_path)
    corpus = _engine(monkeypatch, "on").load(Path("corpus"))
    assert parses == [] and corpus.volumes[1].source_path == os.path.join("corpus", "frus-01.xml")
    assert corpus.get("frus-01:d1").volume is corpus.volumes[1]


def test_a_third_party_source_keeps_the_whole_load(tmp_path, index_dir, monkeypatch):
    """A file read by a plugin's source is not indexed: the corpus loads whole, as before."""
    from exporter.model import Entry, EntryDate, Volume
    from exporter.registry import LoadedVolume, Source

    folder = tmp_path / "corpus"
    _copies(folder, 1)
    (folder / "notes.txt").write_text("one entry")

    def load(path, cleaner):
        vol = Volume(id="txt", title="Text", source_path=str(path))
        return [LoadedVolume(vol, [Entry(id="t1", local_id="t1", volume=vol, title="T", heading=[],
                                         date=EntryDate())])]

    engine = _engine(monkeypatch, "on")
    engine.plugins.sources.add(Source(name="plain-text", accepts=lambda p: p.suffix == ".txt", load=load), "mine")
    corpus = engine.load(folder)
    assert not isinstance(corpus.entries, EntryStore)
    assert [v.id for v in corpus.volumes] == ["frus-00", "txt"] and corpus.get("t1").title == "T"
    shutil.rmtree(index_dir, ignore_errors=True)


def test_a_forked_worker_reads_the_index_on_its_own_connection(tmp_path, index_dir, monkeypatch):
    """Service workers forked after the corpus was loaded (a prefork pool) share the index."""
    import multiprocessing

    folder = tmp_path / "corpus"
    _copies(folder, 2)
    corpus = _engine(monkeypatch, "on").load(folder)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child():
        queue.put((corpus.get("frus-01:d7").title, sum(1 for _ in corpus.summaries("frus-00"))))

    proc = ctx.Process(target=child)
    proc.start()
    got = queue.get(timeout=120)
    proc.join(60)
    assert proc.exitcode == 0
    assert got == (corpus.get("frus-01:d7").title, 478)


def test_entry_counts_and_layer_targets_match(tmp_path, index_dir, monkeypatch):
    folder = tmp_path / "corpus"
    _copies(folder, 2)
    on, off = _engine(monkeypatch, "on").load(folder), _engine(monkeypatch, "off").load(folder)
    assert on.entry_counts() == off.entry_counts() == {"frus-00": 478, "frus-01": 478}
    targets_on, targets_off = on.layer_targets(), off.layer_targets()
    iri = next(iter(targets_off))
    assert iri in targets_on and targets_on[iri][0].id == targets_off[iri][0].id
    assert f"{iri}-nope" not in targets_on and "" not in targets_on
    assert sorted(targets_on) == sorted(targets_off)


def test_the_service_and_its_workers_read_the_index(tmp_path, index_dir):
    """`exporter serve` over an indexed corpus: the volume list, a volume's table of contents and
    an RIS export of one volume (by a worker) are those of the command line without the index."""
    from support.service_server import Server, auth

    folder = tmp_path / "corpus"
    _copies(folder, 3)
    off = {"EXPORTER_INDEX_DIR": str(index_dir), "EXPORTER_CORPUS_INDEX": "off"}
    toc = json.loads(_cli("toc", "--corpus", str(folder), "--volume", "frus-01", "--json", env=off).stdout)
    ris_off = tmp_path / "off.ris"
    proc = _cli("export", "--corpus", str(folder), "--range", "frus-01:d1..frus-01:d478", "--format", "ris",
                "--output", str(ris_off), env=off)
    assert proc.returncode == 0, proc.stderr
    srv = Server(tmp_path / "srv", {"corpus": {"path": str(folder)}, "jobs": {"workers": 1}},
                 env={"EXPORTER_INDEX_DIR": str(index_dir), "EXPORTER_CORPUS_INDEX": "on"})
    (tmp_path / "srv").mkdir()
    srv.start()
    try:
        with srv.client() as client:
            vols = client.get("/v1/volumes").json()
            assert [(v["id"], v["entries"]) for v in vols] == [("frus-00", 478), ("frus-01", 478), ("frus-02", 478)]
            assert client.get("/v1/volumes/frus-01/entries").json() == toc
            r = client.post("/v1/exports", json={"format": "ris", "range": "frus-01:d1..frus-01:d478"},
                            headers={**auth(srv.token("irina")), "Prefer": "wait=120"})
            assert r.status_code == 200, r.text
            assert r.content == ris_off.read_bytes()
    finally:
        assert srv.stop() == 0, srv.log.read_text()
    assert list(index_dir.glob("corpus-*.sqlite"))


def test_two_commands_building_the_index_at_once_agree(tmp_path, index_dir):
    """One process updates an index at a time; the other waits and reads the finished index."""
    folder = tmp_path / "corpus"
    _copies(folder, 3)
    env = {**os.environ, "EXPORTER_INDEX_DIR": str(index_dir), "EXPORTER_CORPUS_INDEX": "on"}
    exe = shutil.which("exporter", path=str(Path(sys.executable).parent)) or "exporter"
    procs = [subprocess.Popen([exe, "toc", "--corpus", str(folder), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert outs[0][0] == outs[1][0] and len(json.loads(outs[0][0])) == 3 * 478
    assert b"Traceback" not in outs[0][1] + outs[1][1]
    conn = sqlite3.connect(next(index_dir.glob("corpus-*.sqlite")))
    assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 3
    conn.close()


def test_a_new_annotation_is_checked_reading_only_its_volume(many, monkeypatch, parses):
    """The service's annotation check finds the target's entry through the index."""
    from exporter.engine import Rejected

    monkeypatch.setenv("EXPORTER_INDEX_DIR", str(many / "index"))
    engine = Engine()
    corpus = engine.load(many / "corpus")
    row = next(r for r in corpus.summaries("frus-11") if r.local_id == "d20")
    entry = corpus.get(row.id)
    parses.clear()
    exact = entry.layers["text"].text[40:90]
    doc = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "bodyValue": "a note",
           "target": {"source": entry.layer_iri("text"), "selector": {"type": "TextQuoteSelector", "exact": exact}},
           "visibility": "public"}
    checked = engine.check_annotation(doc, corpus=corpus, volume="frus-11", user="reader1")
    assert checked.entry.id == "frus-11:d20" and checked.layer == "text"
    with pytest.raises(Rejected) as refused:
        engine.check_annotation(dict(doc, target={"source": entry.layer_iri("text") + "x", "selector": {
            "type": "TextQuoteSelector", "exact": exact}}), corpus=corpus, volume="frus-11", user="reader1")
    assert refused.value.status == 422
    assert parses == []  # frus-11 was already parsed; no other volume was read
