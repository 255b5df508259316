"""Jobs on one machine, against real servers: time limits, killed workers, a full queue,
cancelling, recycling, draining on shutdown and resuming on restart.

The slow renders come from a real third-party plugin (``tests/plugins/plugin_hangs_rendering.py``)
installed the way pip installs one: a ``dist-info`` with an entry point on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from support.service_server import Server, assert_problem, wait_state
from test_plugin_cli import PLUGIN_DIR, make_distribution


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory) -> dict[str, str]:
    site = tmp_path_factory.mktemp("service-site")
    make_distribution(site, {"hangs-rendering": "plugin_hangs_rendering"})
    return {"PYTHONPATH": f"{site}:{PLUGIN_DIR}", "EXPORTER_PLUGINS": "hangs-rendering"}


def metric(client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


STUBBORN = {"format": "hang-stubborn", "entries": ["kd1-1918-03-06"]}  # ignores interruptions for 3 s
HANG = {"format": "hang", "entries": ["kd1-1918-03-06"]}  # a busy loop that never ends
QUICK = {"format": "ris", "entries": ["kd1-1918-03-06"]}


# -- a one-second time limit, a queue of two ---------------------------------------------------

@pytest.fixture(scope="module")
def strict(tmp_path_factory, plugin_env):
    srv = Server(tmp_path_factory.mktemp("service-strict"),
                 {"jobs": {"workers": 1, "queue_size": 2, "time_limit": 1.0, "result_ttl": 3}}, env=plugin_env).start()
    yield srv
    assert srv.stop() == 0


def test_a_render_that_hangs_is_killed_at_the_time_limit(strict):
    with strict.client() as c:
        before = strict.workers()
        assert len(before) == 1
        job = c.post("/v1/exports", json=STUBBORN).json()["id"]
        done = wait_state(c, job, ("done", "failed"), timeout=30)
        assert done["state"] == "failed" and "time limit of 1 s" in done["error"], done
        # killed by the backend (the engine's own limit would only have seen the render return
        # after its three stubborn seconds, with another message)
        assert "was stopped" in done["error"]
        wait_state(c, c.post("/v1/exports", json=QUICK).json()["id"], ("done",))  # the service goes on
        assert strict.workers() != before  # the stuck worker was replaced
        assert metric(c, 'exporter_worker_restarts_total{reason="time_limit"}') >= 1
        job = c.post("/v1/exports", json=HANG).json()["id"]
        failed = wait_state(c, job, ("done", "failed"), timeout=30)
        assert failed["state"] == "failed" and "1 s" in failed["error"]
        r = c.get(f"/v1/exports/{job}/result")
        assert_problem(r, 404)


def test_a_full_queue_answers_429_with_retry_after(strict):
    with strict.client() as c:
        running = c.post("/v1/exports", json=STUBBORN).json()["id"]
        wait_state(c, running, ("running",))
        queued = [c.post("/v1/exports", json=QUICK).json() for _ in range(2)]
        assert [q["queue_position"] for q in queued] == [0, 1]
        r = c.post("/v1/exports", json=QUICK)
        p = assert_problem(r, 429)
        assert int(r.headers["retry-after"]) >= 1 and "queue is full" in p["detail"]
        assert_problem(c.get("/readyz"), 503)
        assert metric(c, "exporter_queue_depth") == 2
        for q in queued:
            assert wait_state(c, q["id"], ("done",))["state"] == "done"
        assert c.get("/readyz").status_code == 200


def test_cancel_a_queued_and_a_running_job(strict):
    with strict.client() as c:
        running = c.post("/v1/exports", json=STUBBORN).json()["id"]
        wait_state(c, running, ("running",))
        queued = c.post("/v1/exports", json=QUICK).json()["id"]
        (busy,) = strict.workers()
        assert c.delete(f"/v1/exports/{queued}").json()["state"] == "cancelled"
        assert c.delete(f"/v1/exports/{running}").json()["state"] == "cancelled"
        deadline = time.monotonic() + 2  # the render is stopped, not waited for (it takes 3 s)
        while busy in strict.workers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert busy not in strict.workers()
        assert c.get(f"/v1/exports/{queued}").json()["state"] == "cancelled"  # never ran
        wait_state(c, c.post("/v1/exports", json=QUICK).json()["id"], ("done",))
        assert c.get(f"/v1/exports/{running}").json()["state"] == "cancelled"
        assert_problem(c.get(f"/v1/exports/{running}/result"), 404)


def test_results_expire_after_their_ttl(strict):
    with strict.client() as c:
        job = c.post("/v1/exports", json=QUICK, headers={"Prefer": "wait=30"})
        assert job.status_code == 200
        job_id = job.headers["location"].rsplit("/", 1)[1]
        files = list((strict.state / "results").glob(f"{job_id}.*"))
        assert len(files) == 1
        deadline = time.monotonic() + 20
        while files[0].exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not files[0].exists()
        status = c.get(f"/v1/exports/{job_id}").json()
        assert status["state"] == "done" and status["result_expired"] and status["result"] is None
        assert "expired" in assert_problem(c.get(f"/v1/exports/{job_id}/result"), 404)["detail"]


# -- a worker killed mid-render, recycling, draining and resuming ------------------------------

@pytest.fixture(scope="module")
def patient(tmp_path_factory, plugin_env):
    srv = Server(tmp_path_factory.mktemp("service-patient"),
                 {"jobs": {"workers": 1, "time_limit": 30.0, "max_jobs_per_worker": 3}}, env=plugin_env).start()
    yield srv
    srv.stop()


def test_a_worker_killed_mid_render_is_replaced_and_its_job_retried(patient):
    with patient.client() as c:
        job = c.post("/v1/exports", json=STUBBORN).json()["id"]
        wait_state(c, job, ("running",))
        time.sleep(0.3)
        (victim,) = patient.workers()
        os.kill(victim, signal.SIGKILL)
        done = wait_state(c, job, ("done", "failed"), timeout=60)
        assert done["state"] == "done" and done["attempts"] == 2, done
        assert c.get(done["result"]).content == b"started\nfinished\n"
        assert victim not in patient.workers()
        assert metric(c, 'exporter_worker_restarts_total{reason="died"}') >= 1
        assert metric(c, "exporter_job_retries_total") >= 1
        # a job that kills its worker every time fails with the reason, and the service goes on
        job = c.post("/v1/exports", json=STUBBORN).json()["id"]
        for _ in range(2):
            wait_state(c, job, ("running",))
            deadline = time.monotonic() + 10
            while not patient.workers() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            os.kill(patient.workers()[0], signal.SIGKILL)
            time.sleep(0.5)
        failed = wait_state(c, job, ("failed",), timeout=30)
        assert "signal 9" in failed["error"] and "tried 2 times" in failed["error"]
        wait_state(c, c.post("/v1/exports", json=QUICK).json()["id"], ("done",))


def test_a_worker_is_recycled_after_n_jobs(patient):
    with patient.client() as c:
        seen = set()
        for _ in range(4):
            wait_state(c, c.post("/v1/exports", json=QUICK).json()["id"], ("done",))
            seen.update(patient.workers())
        assert len(seen) >= 2
        assert metric(c, 'exporter_worker_restarts_total{reason="recycled_jobs"}') >= 1


def test_shutdown_drains_running_jobs_and_restart_resumes_queued_ones(patient):
    with patient.client() as c:
        running = c.post("/v1/exports", json=STUBBORN).json()["id"]
        wait_state(c, running, ("running",))
        queued = c.post("/v1/exports", json=QUICK).json()["id"]
    t0 = time.monotonic()
    assert patient.stop() == 0
    assert time.monotonic() - t0 >= 1.5  # it waited for the render
    with sqlite3.connect(patient.state / "jobs.sqlite3") as db:
        states = dict(db.execute("SELECT id, state FROM jobs WHERE id IN (?, ?)", (running, queued)).fetchall())
    assert states == {running: "done", queued: "queued"}
    patient.start()
    with patient.client() as c:
        assert wait_state(c, queued, ("done",))["state"] == "done"
        assert c.get(f"/v1/exports/{running}/result").content == b"started\nfinished\n"


def test_a_crashed_service_runs_its_accepted_jobs_after_a_restart(patient):
    with patient.client() as c:
        running = c.post("/v1/exports", json=STUBBORN).json()["id"]
        wait_state(c, running, ("running",))
        queued = c.post("/v1/exports", json=QUICK).json()["id"]
    os.killpg(patient.pid, signal.SIGKILL)  # no drain: the server and its workers die at once
    patient.proc.wait()
    patient.proc = None
    patient.start()
    with patient.client() as c:
        for job in (running, queued):
            assert wait_state(c, job, ("done", "failed"), timeout=60)["state"] == "done"
        assert c.get(f"/v1/exports/{running}").json()["attempts"] == 2


# -- quotas, the audit log, EdDSA tokens, the FRUS volume ---------------------------------------

@pytest.fixture(scope="module")
def eddsa_keys(tmp_path_factory) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = tmp_path_factory.mktemp("keys")
    key = Ed25519PrivateKey.generate()
    private = folder / "login.pem"
    public = folder / "login.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def archive(tmp_path_factory, eddsa_keys, frus_path):
    private, public = eddsa_keys
    srv = Server(tmp_path_factory.mktemp("service-frus"), {
        "corpus": {"path": str(frus_path)},
        "auth": {"algorithm": "EdDSA", "public_key_file": str(public), "private_key_file": str(private),
                 "secret": ""},
        "quotas": {"pages_per_day": 10},
        "jobs": {"max_rss_mb": 1}}).start()  # every worker is over the cap after a job: recycled
    yield srv
    assert srv.stop() == 0


def test_frus_print_and_quota_and_audit(archive, engine, frus_path, tmp_path):
    import jwt
    import pypdf

    from test_pdf import FRUS_SEL, assert_notes_near_calls, expected, page_texts

    token = archive.token("historian")
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    h = {"Authorization": f"Bearer {token}", "Prefer": "wait=120"}
    body = {"format": "pdf", "range": "d99..d104", "accept_terms": True}
    with archive.client() as c:
        r = c.post("/v1/exports", json=body, headers=h)
        assert r.status_code == 200, r.text
        path = tmp_path / "frus.pdf"
        path.write_bytes(r.content)
        doc = expected(engine, frus_path, FRUS_SEL)
        pages = page_texts(path)
        assert len(pypdf.PdfReader(path).pages) == len(pages)
        assert assert_notes_near_calls(doc, pages) >= 4
        # the quota: 6 pages printed of 10 today, another 6 is refused until midnight UTC
        r = c.post("/v1/exports", json=body, headers=h)
        p = assert_problem(r, 429)
        assert "quota" in p["detail"] and 1 <= int(r.headers["retry-after"]) <= 86400
        # citations and annotation exports are not prints: no quota
        assert c.post("/v1/exports", json={"format": "ris", "range": "d99..d104"}, headers=h).status_code == 200
        # an HS256 token (or one signed by another key) is refused by an EdDSA service
        forged = jwt.encode({"sub": "x", "iss": "archive-exporter", "aud": "archive-exporter",
                             "exp": int(time.time()) + 60}, "a-shared-secret-that-is-long-enough-000000", "HS256")
        assert_problem(c.get("/v1/formats", headers={"Authorization": f"Bearer {forged}"}), 401)
        assert metric(c, 'exporter_worker_restarts_total{reason="recycled_rss"}') >= 1
    with sqlite3.connect(archive.state / "jobs.sqlite3") as db:
        rows = db.execute("SELECT reader, format, source_pages, terms_accepted, pages FROM audit").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [("historian", "pdf", doc.source_pages, 1)]


def test_a_worker_collects_garbage_after_answering_not_before():
    """A worker keeps the collector's threshold where a PDF render raises it, so that ending a
    render sets off no collection before the answer; the collection runs once it is sent."""
    import gc

    from exporter.formats.pdf.speedups import tuning
    from exporter.service import worker

    assert worker.GC_THRESHOLD == tuning.RENDER_GC_THRESHOLD
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, *saved[1:])
        worker.keep_collections_between_jobs()
        assert gc.get_threshold() == (tuning.RENDER_GC_THRESHOLD, *saved[1:])
        with tuning.render_scope():
            assert gc.get_threshold()[0] == tuning.RENDER_GC_THRESHOLD
        assert gc.get_threshold()[0] == tuning.RENDER_GC_THRESHOLD  # not lowered when it ends
        junk = [[i] for i in range(5000)]
        del junk
        worker.collect_after_job()
        assert gc.get_count()[0] < 50
    finally:
        gc.set_threshold(*saved)


# -- two workers -------------------------------------------------------------------------------

WHOAMI = {"format": "whoami", "entries": ["kd1-1918-03-06"]}  # the worker's process id


@pytest.fixture(scope="module")
def pair(tmp_path_factory, plugin_env):
    srv = Server(tmp_path_factory.mktemp("service-pair"), {"jobs": {"workers": 2}}, env=plugin_env).start()
    yield srv
    assert srv.stop() == 0


def test_the_next_job_goes_to_the_worker_idle_longest(pair):
    """One reader's exports, one after the other: each goes to the worker that has been idle
    longer, not to the one that has just answered (and is collecting its garbage)."""
    with pair.client() as c:
        pids = []
        for _ in range(6):
            r = c.post("/v1/exports", json=WHOAMI, headers={"Prefer": "wait=30"})
            assert r.status_code == 200, r.text
            pids.append(int(r.text))
    assert set(pids) == set(pair.workers()) and len(set(pids)) == 2
    assert all(a != b for a, b in zip(pids, pids[1:])), pids
