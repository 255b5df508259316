"""The Celery backend with real processes: redis-server, two ``exporter worker`` nodes.

Crash-safe delivery (issue 17): a node killed mid-render, a poison job, a render that hangs
past the hard limit, duplicate deliveries, cancelling, and the result store.  Jobs are sent with
the same client the service uses (:class:`exporter.service.celery_backend.client.CeleryJobs`).
"""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from exporter.engine import ExportRequest
from exporter.service.celery_backend.app import RENDER_TASK
from exporter.service.celery_backend.client import CeleryJobs
from exporter.service.celery_backend.settings import load_settings
from support.celery_workers import Node, fixture_env, plugin_site, wait_for, write_config

ENTRY = "kd1-1918-01-03"


@pytest.fixture(scope="module")
def cluster(redis_server, tmp_path_factory):
    """Two single-process worker nodes on one queue, and a client."""
    tmp = tmp_path_factory.mktemp("celery-faults")
    config = write_config(tmp / "exporter.toml", redis_server.url, "faults")
    env = fixture_env(plugin_site(tmp / "site"))
    nodes = [Node(name, config, env, tmp) for name in ("alpha", "beta")]
    for node in nodes:
        node.start()
    jobs = CeleryJobs(load_settings(config, env={}))
    jobs.start_canary()
    try:
        for node in nodes:
            node.wait_ready()
        yield jobs, {n.hostname: n for n in nodes}
    finally:
        jobs.close()
        for node in nodes:
            node.stop()


def slow(seconds: float = 3, entries: str = ENTRY) -> ExportRequest:
    return ExportRequest(format="slow", entries=entries, options={"seconds": str(seconds)}, annotations="none")


def done(jobs: CeleryJobs, job_id: str, timeout: float = 60):
    job = jobs.wait(job_id, timeout)
    assert job is not None and job.state in ("done", "failed", "cancelled"), job
    return job


def test_pdf_job_renders_on_a_worker_and_readiness_holds(cluster):
    jobs, nodes = cluster
    wait_for(lambda: jobs.readiness()[0], 30, what="a canary")
    job_id = jobs.submit(ExportRequest(format="pdf", entries=ENTRY, accept_terms=True, user="irina"),
                         user="irina")
    job = done(jobs, job_id)
    assert job.state == "done", job.error
    assert job.worker in nodes
    data = jobs.result(job_id)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    assert job.fields["media_type"] == "application/pdf"
    assert job.fields["publications"] == "1"
    assert int(job.fields["size"]) == len(data)


def test_policy_refusal_is_a_failed_job_with_the_engine_reason(cluster):
    jobs, _ = cluster
    job = done(jobs, jobs.submit(ExportRequest(format="pdf", entries=ENTRY)))  # terms not accepted
    assert job.state == "failed"
    assert job.fields["error_code"] == "PolicyRefusal"
    assert "terms" in job.error
    assert jobs.result(job.id) is None


def test_node_killed_mid_render_completes_on_the_other_with_one_result(cluster):
    jobs, nodes = cluster
    job_id = jobs.submit(slow(3))
    running = wait_for(lambda: (j := jobs.get(job_id)) and j.state != "queued" and j, 30, what="a worker")
    assert running.state == "running", running.error
    victim = nodes[running.worker]
    victim.kill()  # main process and child: nobody acknowledges or rejects the message
    try:
        job = done(jobs, job_id, timeout=60)  # redelivered after the visibility timeout
        assert job.state == "done", job.error
        assert job.worker != victim.hostname and job.worker in nodes
        assert job.attempts == 2
        assert job.fields["publications"] == "1"
        assert jobs.result(job_id) == f"slow: {ENTRY}\n".encode()
    finally:
        victim.start()
        victim.wait_ready()


def test_poison_job_fails_after_n_attempts_and_other_jobs_go_on(cluster):
    jobs, _ = cluster
    poison = jobs.submit(ExportRequest(format="kill-worker", entries=ENTRY, annotations="none"))
    others = [jobs.submit(slow(0.3)) for _ in range(4)]
    job = done(jobs, poison, timeout=90)
    assert job.state == "failed"
    assert job.fields["error_code"] == "poison"
    assert job.attempts == 3 + 1  # the fourth delivery is the one that gives up
    assert "3 attempts" in job.error and "SIGKILL" in job.error
    for other in others:
        assert done(jobs, other).state == "done"


def test_hanging_render_is_killed_at_the_hard_limit_and_replaced(cluster):
    jobs, nodes = cluster

    def pools() -> dict[str, set[int]]:
        stats = jobs.app.control.inspect(timeout=5).stats() or {}
        return {name: set(s["pool"]["processes"]) for name, s in stats.items() if name in nodes}

    before = wait_for(lambda: (p := pools()) and set(p) == set(nodes) and p, 60, what="both nodes' pools")
    started = time.monotonic()
    job_id = jobs.submit(ExportRequest(format="hang-forever", entries=ENTRY, annotations="none"))
    job = done(jobs, job_id, timeout=60)
    elapsed = time.monotonic() - started
    assert job.state == "failed"
    assert job.fields["error_code"] == "timeout"
    assert "hard time limit of 6 s" in job.error
    assert elapsed < 6 + 30  # the hard limit, and the time a loaded machine takes to notice it
    # The node that ran it has a new pool process, and takes jobs again.
    node = job.worker

    def replaced():
        s = (jobs.app.control.inspect(timeout=5, destination=[node]).stats() or {}).get(node)
        pids = set(s["pool"]["processes"]) if s else set()
        return pids and pids.isdisjoint(before[node]) and pids

    assert wait_for(replaced, 60, what="a new pool process")
    follow = [jobs.submit(slow(0.2)) for _ in range(3)]
    assert all(done(jobs, f).state == "done" for f in follow)


def test_duplicate_delivery_publishes_one_result(cluster):
    jobs, _ = cluster
    job_id = jobs.submit(slow(1))
    # The same job's message again, as a redelivery after a lost acknowledgement would be.
    jobs.app.send_task(RENDER_TASK, args=[job_id], task_id=job_id)
    job = done(jobs, job_id)
    assert job.state == "done"
    time.sleep(2)  # let the second delivery finish too
    job = jobs.get(job_id)
    assert job.fields["publications"] == "1"
    # The second run either saw the job done before rendering or lost the race to publish.
    assert job.attempts in (1, 2)
    assert job.attempts == 1 or job.fields.get("duplicates") == "1"


def test_cancel_a_running_job_stops_it(cluster):
    jobs, nodes = cluster
    job_id = jobs.submit(slow(3.5))
    wait_for(lambda: (j := jobs.get(job_id)) and j.state == "running", 30, what="running")
    assert jobs.cancel(job_id) == "running"
    time.sleep(1)
    job = jobs.get(job_id)
    assert job.state == "cancelled"
    assert jobs.result(job_id) is None
    # The pool replaced the killed process; the cancelled job is not delivered again.
    follow = jobs.submit(slow(0.2))
    assert done(jobs, follow).state == "done"
    assert jobs.get(job_id).state == "cancelled"
    assert jobs.cancel(job_id) == "cancelled"  # cancelling again changes nothing


def test_queue_position_and_depth(cluster):
    jobs, _ = cluster
    ids = [jobs.submit(slow(1.5)) for _ in range(5)]
    assert jobs.depth() >= 3
    positions = [jobs.position(i) for i in ids]
    queued = [p for p in positions if p is not None]
    assert queued == sorted(queued)
    for i in ids:
        assert done(jobs, i).state == "done"
    assert jobs.depth() == 0


def test_worker_nodes_started_with_renderers_warm(cluster):
    _, nodes = cluster
    for node in nodes.values():
        assert "renderers warm: pdf, docx" in node.log.read_text(errors="replace")


# -- the result store, on the real Redis: the cap and the shared folder ------------------------------

def _store(redis_server, name: str, **extra):
    from exporter.service.celery_backend.store import JobStore

    settings = load_settings(broker=redis_server.url, env={}, key_prefix=f"t-{name}:", **extra)
    return JobStore(settings)


def test_result_over_the_redis_cap_fails_with_a_reason(redis_server):
    store = _store(redis_server, "cap", result_max_bytes=1000)
    store.create("j1", {"format": "pdf"}, "irina")
    assert store.begin("j1", "w@test")[0] == "running"
    assert store.publish("j1", b"x" * 1001, {"extension": "pdf"}) is False
    job = store.get("j1")
    assert job.state == "failed" and job.fields["error_code"] == "result-too-large"
    assert "result_dir" in job.error and store.result("j1") is None


def test_shared_result_folder_keeps_one_file_per_job(redis_server, tmp_path):
    store = _store(redis_server, "dir", result_dir=str(tmp_path))
    store.create("j2", {"format": "pdf"}, "irina")
    assert store.begin("j2", "w1@test")[0] == "running"
    assert store.publish("j2", b"first run", {"extension": "txt"}) is True
    assert store.publish("j2", b"second run", {"extension": "txt"}) is False  # a duplicate run
    files = sorted(p.name for p in tmp_path.iterdir())
    job = store.get("j2")
    assert files == [job.fields["path"]] and job.fields["location"] == "file"
    assert store.result("j2") == b"first run"
    assert job.fields["publications"] == "1" and job.fields["duplicates"] == "1"
    assert store.r.get(store.result_key("j2")) is None  # nothing of it in Redis


def test_publish_writes_the_record_in_one_go_and_the_state_wins(redis_server):
    store = _store(redis_server, "pub")
    store.create("j3", {"format": "ris"}, "irina")
    store.create("j4", {"format": "ris"}, "irina")
    job, rank = store.get_with_position("j4")
    assert job.state == "queued" and rank == 1 == store.position("j4")
    assert store.begin("j3", "w@test")[0] == "running"
    assert store.get_with_position("j3") == (store.get("j3"), None)  # running: no place in the queue
    # A meta field named like a state field does not override the published state.
    assert store.publish("j3", b"TY  - DOC\n", {"extension": "ris", "pages": 2, "state": "queued"}) is True
    job = store.get("j3")
    assert (job.state, job.fields["pages"], job.fields["size"], job.fields["publications"]) == ("done", "2", "10", "1")
    assert store.result("j3", job) == b"TY  - DOC\n" == store.result("j3")
    assert store.get_with_position("missing") == (None, None)


@pytest.mark.parametrize("ending", ["publish", "fail", "cancel"])
def test_a_waiter_is_woken_by_the_finished_notification(redis_server, monkeypatch, ending):
    """``wait`` (as ``Prefer: wait`` uses it) wakes on the store's pub/sub message, not by polling:
    with the periodic re-read pushed out to 30 s it still returns within a moment."""
    import threading

    from exporter.service.celery_backend import client as client_module

    monkeypatch.setattr(client_module, "RECHECK", 30.0)
    settings = load_settings(None, broker=redis_server.url, env={}, key_prefix=f"t-wake-{ending}:",
                             queue=f"q-wake-{ending}")
    jobs = CeleryJobs(settings)
    try:
        store = jobs.store
        store.create("w1", {"format": "ris"}, "irina")
        assert store.begin("w1", "w@test")[0] == "running"
        found: dict = {}

        def waiter() -> None:
            t = time.monotonic()
            found["job"] = jobs.wait("w1", 60)
            found["seconds"] = time.monotonic() - t

        thread = threading.Thread(target=waiter)
        thread.start()
        wait_for(lambda: jobs._listener is not None and store.r.pubsub_numsub(store.finished_channel)[0][1] >= 1,
                 10, what="the subscription")
        time.sleep(0.2)  # the waiter is asleep on its event now
        if ending == "publish":
            assert store.publish("w1", b"TY  - JOUR\nER  - \n", {"extension": "ris"})
        elif ending == "fail":
            assert store.fail("w1", "a reason")
        else:
            assert store.cancel("w1") == "running"
        thread.join(10)
        assert not thread.is_alive()
        assert found["job"].state == {"publish": "done", "fail": "failed", "cancel": "cancelled"}[ending]
        assert found["seconds"] < 5, found  # woken, not the 30 s re-read
    finally:
        jobs.close()


def test_a_killed_nodes_scratch_folder_is_removed_by_the_next_node(tmp_path):
    """A node killed with SIGKILL cannot remove its scratch folder; the next node on the machine
    removes the folders of nodes that are gone, and no other."""
    import os
    import subprocess

    from exporter.service.celery_backend.worker import sweep_scratch

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"exporter-worker-{gone.pid}-abc123"
    live = tmp_path / f"exporter-worker-{os.getpid()}-def456"
    other = tmp_path / "exporter-worker-notapid-x"
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / ".job.part").write_bytes(b"")
    sweep_scratch(str(tmp_path))
    assert not dead.exists() and live.exists() and other.exists()
