"""The annotation store on SQLite and PostgreSQL: schema, idempotent import, the round trip back
to files, the engine reading the store, moderation, folders and concurrent writers.

Every test here runs on both databases (``store_url`` is parametrized in ``store_fixtures``).
Expected values come from the corpus files read with ``json`` here, not from the store's code.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from conftest import SAMPLE, run_cli
from exporter.engine import Engine, ExportRequest
from exporter.errors import ExporterError

USERS = ["irina", "tomas", "leila", "dmitri", None]
ARCHIVE = json.loads((SAMPLE / "archive.json").read_text(encoding="utf-8"))
FILES = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((SAMPLE / "annotations").glob("*.jsonld"))}
ALL_IDS = sorted(a["id"] for docs in FILES.values() for a in docs)


def _export(engine: Engine, tmp_path: Path, fmt: str, name: str, **kw) -> Path:
    out = tmp_path / name
    engine.export(ExportRequest(format=fmt, **kw), out)
    return out


def _jsonld_items(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["first"]["items"] if data.get("total") else []


def test_init_is_idempotent_and_checked(store_url):
    from exporter.store import Store, StoreError

    s = Store(store_url)
    with pytest.raises(StoreError, match="not initialised"):
        s.check()
    assert s.init() == s.head_revision() == "0001"
    assert s.init() == "0001"  # again: nothing to do
    s.check()
    s.close()


def test_import_twice_adds_nothing(store):
    first = store.import_corpus(SAMPLE)
    assert first["annotations"] == len(ALL_IDS) == 63
    assert first["users"] == len(ARCHIVE["users"]) and first["folders"] == len(ARCHIVE["folders"])
    revision = store.revision()
    second = store.import_corpus(SAMPLE)
    assert second["annotations"] == second["users"] == second["groups"] == second["folders"] == 0
    assert second["unchanged"] == 63
    assert store.revision() == revision
    assert sorted(a.iri for a in store.annotations()) == ALL_IDS


def test_round_trip_gives_back_the_corpus_files(sample_store, tmp_path):
    sample_store.export_files(tmp_path / "out")
    for name, docs in FILES.items():
        written = tmp_path / "out" / "annotations" / name
        assert json.loads(written.read_text(encoding="utf-8")) == docs
        assert written.read_bytes() == (SAMPLE / "annotations" / name).read_bytes()
    archive = json.loads((tmp_path / "out" / "archive.json").read_text(encoding="utf-8"))
    assert archive["users"] == ARCHIVE["users"]
    assert archive["groups"] == ARCHIVE["groups"]
    assert archive["folders"] == ARCHIVE["folders"]
    # ... and the exported folder imports into a fresh store as the same data.
    from exporter.store import Store

    other = Store(f"sqlite:///{tmp_path / 'again.sqlite'}")
    other.init()
    volume = "dolgorukov-diaries-1918.xml"
    (tmp_path / "out" / volume).write_bytes((SAMPLE / volume).read_bytes())
    assert other.import_corpus(tmp_path / "out")["annotations"] == 63
    assert [a.document for a in other.annotations()] == [a.document for a in sample_store.annotations()]
    other.close()


@pytest.mark.parametrize("user", USERS)
def test_engine_reads_the_store_as_it_reads_files(sample_store, tmp_path, user):
    files = _export(Engine(), tmp_path, "annotations-jsonld", "files.jsonld", all=True, user=user)
    stored = _export(Engine(store=sample_store), tmp_path, "annotations-jsonld", "store.jsonld", all=True, user=user)
    assert _jsonld_items(stored) == _jsonld_items(files)
    assert _jsonld_items(files), "every sample user sees some annotation"


def _new_annotation(text: str, creator: str = "irina", visibility: str = "public", group: str | None = None) -> dict:
    doc = {"@context": ["http://www.w3.org/ns/anno.jsonld", "https://archive.example.org/ns/exporter.jsonld"],
           "id": "https://archive.example.org/kd/annotations/live-" + text.split()[0].lower(),
           "type": "Annotation", "motivation": "commenting", "created": "2026-12-04T10:00:00Z",
           "creator": {"type": "Person", "nickname": creator, "name": creator},
           "body": {"type": "TextualBody", "value": text, "format": "text/plain", "language": "en"},
           "target": {"source": "https://archive.example.org/kd/kd1/kd1-1918-03-06/translation",
                      "selector": {"type": "TextQuoteSelector", "exact": "I buy from them"}},
           "visibility": visibility}
    if group:
        doc["group"] = group
    return doc


def test_a_stored_annotation_reaches_the_next_export(sample_store, tmp_path):
    engine = Engine(store=sample_store)
    before = _export(engine, tmp_path, "annotations-csv", "before.csv", entries="kd1-1918-03-06", user="tomas")
    sample_store.create(volume="kd1", entry="kd1-1918-03-06", layer="translation", creator="irina",
                        visibility="public", group=None, document=_new_annotation("Zebra <b>bold</b> & 'quoted'"))
    csv_after = _export(engine, tmp_path, "annotations-csv", "after.csv", entries="kd1-1918-03-06", user="tomas")
    md = _export(engine, tmp_path, "annotations-md", "after.md", entries="kd1-1918-03-06", user="tomas")
    assert "Zebra" not in before.read_text(encoding="utf-8")
    assert "Zebra <b>bold</b> & 'quoted'" in csv_after.read_text(encoding="utf-8")
    assert r"Zebra \<b\>bold\</b\> \& 'quoted'" in md.read_text(encoding="utf-8")


def test_hidden_annotation_reaches_only_its_author_and_moderators(sample_store, tmp_path):
    sample_store.ensure_user("dmitri", role="moderator")
    target = next(a for a in sample_store.annotations() if a.visibility == "public" and a.creator == "irina")
    sample_store.report(target.volume, target.slug, "tomas", "Off topic")
    sample_store.set_hidden(target.volume, target.slug, True, "dmitri")
    engine = Engine(store=sample_store)
    for user, sees in (("irina", True), ("dmitri", True), ("tomas", False), ("leila", False), (None, False)):
        out = _export(engine, tmp_path, "annotations-jsonld", f"{user}.jsonld", all=True, user=user)
        ids = {a["id"] for a in _jsonld_items(out)}
        assert (target.iri in ids) is sees, user
    assert sample_store.reports()[0]["status"] == "hidden"


def test_folder_selection_reads_the_store(sample_store, tmp_path):
    sample_store.save_folder(name="telegrams", title="Telegrams", owner="leila", group=None,
                             entries=["kd1-1918-03-10", "kd1-1918-01-03"])
    engine = Engine(store=sample_store)
    out = _export(engine, tmp_path, "json", "f.json", folder="telegrams", user="leila", accept_terms=True)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [e["id"] for e in data["entries"]] == ["kd1-1918-03-10", "kd1-1918-01-03"]
    with pytest.raises(ExporterError, match="not visible to user .irina."):
        engine.export(ExportRequest(format="json", folder="telegrams", user="irina", accept_terms=True),
                      tmp_path / "no.json")


def test_sixteen_writers_lose_nothing(sample_store):
    """16 threads create annotations and race to update one: no duplicate, no lost update."""
    from exporter.store.api import Conflict

    target = sample_store.annotations()[0]
    created, won, lost, errors = [], [], [], []

    def writer(n: int) -> None:
        try:
            doc = _new_annotation(f"W{n} text", creator="tomas")
            doc["id"] = f"urn:test:{n}"
            created.append(sample_store.create(volume="kd1", entry="kd1-1918-03-06", layer="translation",
                                               creator="tomas", visibility="public", group=None,
                                               document=doc, iri_for=lambda slug: f"urn:live:{slug}").pk)
            for _ in range(3):
                current = sample_store.get(target.volume, target.slug)
                doc = dict(current.document, bodyValue=f"edited by {n}")
                try:
                    sample_store.replace(target.volume, target.slug, expect_version=current.version,
                                         entry=current.entry, layer=current.layer, visibility=current.visibility,
                                         group=current.group, document=doc)
                    won.append(n)
                except Conflict:
                    lost.append(n)
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(created) == len(set(created)) == 16
    assert sample_store.count("kd1") == 63 + 16
    final = sample_store.get(target.volume, target.slug)
    assert final.version == 1 + len(won)  # every successful update counted, none overwritten silently
    assert len(won) + len(lost) == 48 and won


def test_store_cli_init_import_export(store_url, tmp_path):
    env = {"EXPORTER_STORE": ""}
    r = run_cli("store", "import", "--store", store_url, env=env)
    assert r.returncode == 3 and b"not initialised" in r.stderr and r.stderr.count(b"\n") == 1
    assert run_cli("store", "init", "--store", store_url, env=env).returncode == 0
    first = run_cli("store", "import", "--store", store_url, "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["annotations"] == 63
    second = run_cli("store", "import", "--store", store_url, "--json", env=env)
    assert json.loads(second.stdout)["annotations"] == 0
    out = tmp_path / "out"
    assert run_cli("store", "export", "--store", store_url, "--output", str(out), env=env).returncode == 0
    for name in FILES:
        assert (out / "annotations" / name).read_bytes() == (SAMPLE / "annotations" / name).read_bytes()
    r = run_cli("export", "--store", store_url, "--folder", "brest-litovsk", "--user", "tomas",
                "--format", "annotations-csv", "--output", str(tmp_path / "b.csv"), env=env)
    assert r.returncode == 0, r.stderr
    assert "Halvorsen telephoned" in (tmp_path / "b.csv").read_text(encoding="utf-8")


def test_the_frus_volume_with_a_store(store, frus_path, tmp_path):
    """A single-file corpus (the real FRUS volume) reads its annotations from the store too."""
    from exporter.engine import Rejected

    engine = Engine(store=store)
    corpus = engine.load(frus_path)
    entry = next(e for e in corpus.entries if "text" in e.layers and len(e.layers["text"].text) > 200)
    text = entry.layers["text"].text
    exact = text[100:160]
    doc = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "bodyValue": "FRUS note",
           "target": {"source": entry.layer_iri("text"), "selector": {"type": "TextQuoteSelector", "exact": exact}},
           "visibility": "public"}
    checked = engine.check_annotation(doc, corpus=corpus, volume=entry.volume.id, user="reader1")
    with pytest.raises(Rejected) as refused:
        engine.check_annotation(dict(doc, target={"source": entry.layer_iri("text"), "selector": {
            "type": "TextQuoteSelector", "exact": "no such words in this document"}}),
            corpus=corpus, volume=entry.volume.id, user="reader1")
    assert refused.value.status == 422
    store.create(volume=entry.volume.id, entry=entry.local_id, layer="text", creator="reader1",
                 visibility="public", group=None, document=checked.document, iri_for=lambda s: f"urn:frus:{s}")
    out = tmp_path / "frus.csv"
    result = engine.export(ExportRequest(format="annotations-csv", corpus=str(frus_path), entries=entry.id), out)
    assert result.annotations == 1
    assert "FRUS note" in out.read_text(encoding="utf-8") and exact in out.read_text(encoding="utf-8")


def test_grouped_creates_fail_alone_and_bump_the_revision(sample_store):
    """Creates at once share commits; one that breaks a constraint fails only its own caller."""
    before = sample_store.revision()
    taken = sample_store.annotations()[0]
    start = threading.Barrier(12)
    created, refused = [], []

    def writer(n: int) -> None:
        doc = _new_annotation(f"G{n} text", creator="tomas")
        # Writer 5 reuses a stored annotation's IRI, which must stay unique.
        doc["id"] = taken.iri if n == 5 else f"urn:test:group:{n}"
        start.wait()
        try:
            created.append(sample_store.create(volume="kd1", entry="kd1-1918-03-06", layer="translation",
                                               creator="tomas", visibility="public", group=None,
                                               document=doc, slug=f"group-{n}").pk)
        except Exception as exc:  # the expected refusal, checked below
            refused.append((n, type(exc).__name__))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [n for n, _ in refused] == [5]
    assert len(created) == len(set(created)) == 11
    assert sample_store.count("kd1") == 63 + 11
    assert sample_store.revision() > before
    assert {a.slug for a in sample_store.annotations(["kd1"])} >= {f"group-{n}" for n in range(12) if n != 5}
