"""``exporter batch`` end to end: the console script, real job backends (local worker processes;
Celery workers on a real redis-server), files checked with independent readers."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import rispy
from pypdf import PdfReader

from support.celery_workers import EXPORTER, Node, fixture_env, plugin_site, wait_for, write_config  # noqa: F401
from conftest import run_cli

RANGE = "kd1-1918-01-03..kd1-1918-01-19"  # three entries of two source pages in two layers


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_entries_are_cut_within_the_print_limit(tmp_path):
    config = tmp_path / "exporter.toml"
    config.write_text("[policy]\nprint_limit = 2\n[jobs]\nworkers = 1\n")
    out = tmp_path / "out"
    proc = run_cli("batch", "entries", "--range", RANGE, "--output", str(out), "--accept-terms",
                   "--config", str(config), "--layer", "both", "--operator", "ops-anna",
                   env={"EXPORTER_STATE": str(tmp_path / "service-state")})
    assert proc.returncode == 0, proc.stderr.decode()
    m = manifest(out)
    names = sorted(m["pieces"])
    # Each entry has pages N and N+1 in two layers (4 counted pages): two pieces of one page each.
    assert names == ["kd1-1918-01-03.p1-1", "kd1-1918-01-03.p2-2", "kd1-1918-01-08.p3-3",
                     "kd1-1918-01-08.p4-4", "kd1-1918-01-19.p5-5", "kd1-1918-01-19.p6-6"]
    for name, rec in m["pieces"].items():
        assert rec["state"] == "done" and rec["pages"] == 2
        path = out / rec["file"]
        assert sha(path) == rec["sha256"] and path.stat().st_size == rec["size"]
        assert len(PdfReader(path).pages) >= 1
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "Selection" in text
    # The operator's batch is in the audit log: one row per printed piece, terms accepted.
    db = sqlite3.connect(out / ".batch-state" / "jobs.sqlite3")
    rows = db.execute("SELECT reader, source_pages, terms_accepted FROM audit").fetchall()
    assert sorted(rows) == [("batch:ops-anna", 2, 1)] * 6
    assert "6 pieces rendered" in proc.stdout.decode()


def test_policy_applies_to_each_piece_before_anything_is_queued(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("batch", "entries", "--range", RANGE, "--output", str(out),  # terms not accepted
                   env={"EXPORTER_STATE": str(tmp_path / "service-state")})
    assert proc.returncode == 5
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and "piece kd1-1918-01-03" in err and "terms" in err
    assert not [p for p in out.iterdir() if p.suffix == ".pdf"]


def test_citations_and_annotations_plans(tmp_path):
    # No config: the batch reads the store `exporter serve` keeps in its state folder (made and
    # filled from the sample on first use), as the service would.
    state = {"EXPORTER_STATE": str(tmp_path / "service-state")}
    out = tmp_path / "cites"
    proc = run_cli("batch", "citations", "--output", str(out), "--workers", "1", env=state)
    assert proc.returncode == 0, proc.stderr.decode()
    [rec] = manifest(out)["pieces"].values()
    records = rispy.loads((out / rec["file"]).read_text())
    assert len(records) == 46  # every entry of the sample's one volume

    out = tmp_path / "notes"
    proc = run_cli("batch", "annotations", "--output", str(out), "--workers", "1", env=state)
    assert proc.returncode == 0, proc.stderr.decode()
    pieces = manifest(out)["pieces"]
    assert sorted(pieces) == ["dmitri.annotations", "irina.annotations", "leila.annotations", "tomas.annotations"]
    for name, rec in pieces.items():
        reader = name.split(".")[0]
        data = json.loads((out / rec["file"]).read_text())
        items = data.get("first", {}).get("items", data.get("items", [])) if isinstance(data, dict) else data
        creators = {json.dumps(i.get("creator")) for i in items}
        assert all(reader in c for c in creators), (reader, creators)
    assert (tmp_path / "service-state" / "annotations.sqlite").is_file()


# -- the local pool's worker process lives through many pieces ---------------------------------

def _local_pool(tmp_path: Path, store_url: str | None):
    from exporter.service.config import load_config
    from exporter.service.local import LocalBackend
    from exporter.service.store import JobStore

    config = load_config(None, env={})
    config.service.state_dir = str(tmp_path / "state")
    config.jobs.workers = 1
    config.state_path.mkdir(parents=True)
    backend = LocalBackend(config, JobStore(config.state_path / "jobs.sqlite3"))
    backend.annotation_store = store_url
    backend.start()
    return backend


def _run_pieces(backend, count: int) -> list:
    from exporter.service.jobs import FINISHED, JobSpec, new_job_id

    ids = []
    for _ in range(count):
        spec = JobSpec(id=new_job_id(), owner="ops", filename="piece.ris",
                       media_type="application/x-research-info-systems",
                       request={"format": "ris", "entries": "kd1-1918-01-03", "annotations": "none",
                                "accept_terms": True})
        backend.submit(spec)
        ids.append(spec.id)
    assert wait_for(lambda: all(backend.status(i).state in FINISHED for i in ids), 120)
    return [backend.status(i) for i in ids]


def pids(backend) -> set[int]:
    return set(backend.stats()["worker_rss_bytes"])


@pytest.mark.parametrize("with_store", [False, True], ids=["files", "store"])
def test_one_local_worker_renders_many_pieces(tmp_path, with_store):
    store_url = None
    if with_store:
        from exporter.engine import Engine
        from exporter.store import Store

        store_url = f"sqlite:///{tmp_path / 'annotations.sqlite'}"
        store = Store(store_url)
        store.init()
        store.import_corpus(Engine.default_corpus())
        store.close()
    backend = _local_pool(tmp_path, store_url)
    try:
        assert wait_for(lambda: pids(backend), 60)
        first = pids(backend)
        statuses = _run_pieces(backend, 5)
        assert [s.state for s in statuses] == ["done"] * 5, [s.error for s in statuses]
        assert pids(backend) == first  # the same process, never replaced
        assert backend.stats().get("restarts_died", 0) == 0
    finally:
        backend.close()


def test_a_local_worker_whose_store_cannot_open_says_why_and_lives(tmp_path):
    # A store that is not initialised: the worker cannot start its engine.  It used to report
    # ready, end with exit code 0, and take each job given to it down with it ("the worker
    # process ended (exit code 0)"), again and again.
    backend = _local_pool(tmp_path, f"sqlite:///{tmp_path / 'never-initialised.sqlite'}")
    try:
        assert wait_for(lambda: pids(backend), 60)
        first = pids(backend)
        statuses = _run_pieces(backend, 3)
        for s in statuses:
            assert s.state == "failed" and "could not start" in s.error and "not initialised" in s.error, s.error
        assert pids(backend) == first
        assert backend.stats().get("restarts_died", 0) == 0
        ready, why = backend.readiness()
        assert not ready and "not initialised" in why
    finally:
        backend.close()


# -- through Celery: an interrupted batch resumes with the remaining pieces only -----------------

@pytest.fixture(scope="module")
def celery_node(redis_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batch-celery")
    config = write_config(tmp / "exporter.toml", redis_server.url, "batch")
    env = fixture_env(plugin_site(tmp / "site"))
    env["EXPORTER_TEST_SLOW_SECONDS"] = "1"
    nodes = [Node(n, config, env, tmp).start() for n in ("b1", "b2")]
    try:
        for node in nodes:
            node.wait_ready()
        yield config, env
    finally:
        for node in nodes:
            node.stop()


def test_interrupted_batch_resumes_with_the_remaining_pieces_only(celery_node, tmp_path):
    config, env = celery_node
    out = tmp_path / "out"
    args = [str(EXPORTER), "batch", "entries", "--format", "slow", "--range", "kd1-1918-01-03..kd1-1918-02-26",
            "--output", str(out), "--config", str(config), "--backend", "celery", "--inflight", "1"]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # One piece at a time, a second each: the interrupt comes with most of the batch to do.
        wait_for(lambda: (out / "manifest.json").exists()
                 and sum(r.get("state") == "done" for r in manifest(out)["pieces"].values()) >= 2, 120,
                 what="two finished pieces")
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(30)
    assert first.returncode == 130
    before = {n: r for n, r in manifest(out)["pieces"].items() if r.get("state") == "done"}
    assert 2 <= len(before) < 10
    stamps = {n: (out / r["file"]).stat().st_mtime_ns for n, r in before.items()}
    time.sleep(0.05)

    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr
    m = manifest(out)
    assert len(m["pieces"]) == 10 and all(r["state"] == "done" for r in m["pieces"].values())
    assert m["batch"]["runs"] == 2
    assert f"{len(before)} already finished" in second.stdout
    for name, rec in before.items():  # finished pieces were not rendered or written again
        assert m["pieces"][name]["job"] == rec["job"]
        assert (out / rec["file"]).stat().st_mtime_ns == stamps[name]
    for rec in m["pieces"].values():
        assert (out / rec["file"]).read_text().startswith("slow: ")
    # Every piece was rendered exactly once across both runs.
    from exporter.service.celery_backend.client import CeleryJobs
    from exporter.service.celery_backend.settings import load_settings

    jobs = CeleryJobs(load_settings(config, env={}))
    try:
        assert jobs.store.stats().get("done") == 10
        assert len({r["job"] for r in m["pieces"].values()}) == 10
    finally:
        jobs.close()


def test_frus_entries_through_celery(celery_node, frus_path, tmp_path):
    config, env = celery_node
    out = tmp_path / "frus"
    proc = subprocess.run([str(EXPORTER), "batch", "entries", "--corpus", str(frus_path), "--range", "d1..d3",
                           "--output", str(out), "--config", str(config), "--backend", "celery", "--accept-terms",
                           "--operator", "ops-frus"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    pieces = manifest(out)["pieces"]
    assert sorted(pieces) == ["d1", "d2", "d3"]
    for name, rec in pieces.items():
        path = out / rec["file"]
        assert rec["state"] == "done" and sha(path) == rec["sha256"] and 1 <= rec["pages"] <= 10
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "Secretary of State" in " ".join(text.split())
    db = sqlite3.connect(out / ".batch-state" / "jobs.sqlite3")
    assert [r[0] for r in db.execute("SELECT reader FROM audit")] == ["batch:ops-frus"] * 3


def test_a_volumes_citations_through_celery(celery_node, tmp_path):
    """The citations plan on the Celery backend: the sample volume's 46 entries as one BibTeX file."""
    import bibtexparser

    config, env = celery_node
    out = tmp_path / "refs"
    proc = subprocess.run([str(EXPORTER), "batch", "citations", "--format", "bibtex", "--output", str(out),
                           "--config", str(config), "--backend", "celery", "--operator", "ops-refs"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [(name, rec)] = manifest(out)["pieces"].items()
    assert name == "kd1.citations" and rec["state"] == "done"
    path = out / rec["file"]
    assert sha(path) == rec["sha256"]
    entries = bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries
    assert len(entries) == 46


def test_a_volumes_bibliography_in_a_style_through_celery(celery_node, tmp_path):
    """The citations plan with --style on the Celery backend: the volume's bibliography in that
    style and locale, as exporter cite prints it."""
    config, env = celery_node
    out = tmp_path / "bib"
    args = [str(EXPORTER), "batch", "citations", "--style", "chicago-notes-bibliography", "--locale", "ru-RU",
            "--output", str(out), "--config", str(config), "--backend", "celery", "--operator", "ops-bib"]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [(name, rec)] = manifest(out)["pieces"].items()
    assert name == "kd1.citations" and rec["state"] == "done" and rec["file"] == "kd1.citations.txt"
    path = out / rec["file"]
    assert sha(path) == rec["sha256"]
    cite = run_cli("cite", "--all", "--mode", "bibliography", "--style", "chicago-notes-bibliography",
                   "--locale", "ru-RU")
    assert path.read_bytes() == cite.stdout and cite.stdout.count(b"\n") == 46
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "1 already finished" in again.stdout, again.stderr
