"""``exporter serve --backend celery`` with real processes: redis-server, two worker nodes, the
service, httpx.  Redis stopped and started again: accepted jobs are not lost, new jobs get 503
with ``Retry-After`` meanwhile, ``/readyz`` tells the truth, and the service recovers by itself.
"""

from __future__ import annotations

import io
import os
import subprocess
import time

import httpx
import pytest
from pypdf import PdfReader

from exporter.service.celery_backend.local_redis import LocalRedis, free_port
from support.celery_workers import EXPORTER, Node, fixture_env, plugin_site, wait_for, write_config

ENTRY = "kd1-1918-01-03"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A redis-server of this module's own (it is stopped and restarted), two nodes, a service."""
    tmp = tmp_path_factory.mktemp("celery-service")
    redis = LocalRedis(folder=_mkdir(tmp / "redis")).start()
    config = write_config(tmp / "exporter.toml", redis.url, "svc")
    with open(config, "a") as f:
        f.write("[jobs]\nqueue_size = 6\n")
    env = fixture_env(plugin_site(tmp / "site"))
    env["EXPORTER_STATE"] = str(tmp / "state")
    nodes = [Node(n, config, env, tmp).start() for n in ("n1", "n2")]
    port = free_port()
    log = open(tmp / "serve.log", "ab")
    serve = subprocess.Popen([str(EXPORTER), "serve", "--config", str(config), "--backend", "celery",
                              "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for node in nodes:
            node.wait_ready()
        wait_for(lambda: _get(base + "/healthz") == 200, 60, what="the service")
        token = subprocess.run([str(EXPORTER), "token", "--config", str(config), "--user", "irina"], env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        yield client, redis, nodes, tmp
        client.close()
    finally:
        serve.terminate()
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        log.close()
        for node in nodes:
            node.stop()
        redis.close()


def _mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


def _get(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


def slow(seconds: float) -> dict:
    return {"format": "slow", "entries": [ENTRY], "annotations": "none", "options": {"seconds": str(seconds)}}


def test_print_through_the_service_on_celery_workers(stack):
    client, *_ = stack
    wait_for(lambda: client.get("/readyz").status_code == 200, 30, what="readiness")
    r = client.post("/v1/exports", json={"format": "pdf", "entries": [ENTRY], "accept_terms": True},
                    headers={"Prefer": "wait=60"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(r.content)).pages) >= 1
    job = client.get(r.headers["location"]).json()
    assert job["state"] == "done"
    # Polling and the result URL give the same file.
    again = client.get(r.headers["location"] + "/result")
    assert again.status_code == 200 and again.content == r.content


def test_policy_is_checked_before_queueing(stack):
    client, *_ = stack
    r = client.post("/v1/exports", json={"format": "pdf", "all": True, "accept_terms": True})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_redis_down_then_back_loses_no_accepted_job(stack):
    client, redis, nodes, _ = stack
    wait_for(lambda: client.get("/readyz").status_code == 200, 30, what="readiness")
    accepted = []
    for _ in range(6):
        r = client.post("/v1/exports", json=slow(1))
        assert r.status_code == 202, r.text
        accepted.append(r.headers["location"])
    time.sleep(0.5)  # some are running, the rest queued
    redis.stop(kill=True)  # a crash: only what the append-only file holds survives
    try:
        r = client.post("/v1/exports", json=slow(0.1))
        assert r.status_code == 503
        assert int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"].startswith("application/problem+json")
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "Redis" in ready.json()["detail"]
        status = client.get(accepted[0])
        assert status.status_code == 503 and "retry-after" in status.headers
        time.sleep(2)
    finally:
        redis.start()
    # The service and the workers reconnect by themselves; every accepted job finishes once.
    for location in accepted:
        job = wait_for(lambda location=location: (j := client.get(location)).status_code == 200 and j.json()["state"] in
                       ("done", "failed") and j.json(), 90, what=f"job {location}")
        assert job["state"] == "done", job
        result = client.get(location + "/result")
        assert result.status_code == 200 and result.content == f"slow: {ENTRY}\n".encode()
    wait_for(lambda: client.get("/readyz").status_code == 200, 60, what="readiness after the restart")
    r = client.post("/v1/exports", json=slow(0.1), headers={"Prefer": "wait=30"})
    assert r.status_code == 200


def test_stalled_workers_make_readyz_fail(stack):
    client, redis, nodes, _ = stack
    wait_for(lambda: client.get("/readyz").status_code == 200, 30, what="readiness")
    for node in nodes:
        os.killpg(node.proc.pid, 19)  # SIGSTOP: alive, connected, doing nothing
    try:
        r = wait_for(lambda: (r := client.get("/readyz")).status_code == 503 and r, 30, what="readyz to fail")
        assert "canary" in r.json()["detail"]
    finally:
        for node in nodes:
            os.killpg(node.proc.pid, 18)  # SIGCONT
    wait_for(lambda: client.get("/readyz").status_code == 200, 60, what="readiness again")


def test_full_queue_gets_429_and_drains(stack):
    client, redis, nodes, _ = stack
    wait_for(lambda: client.get("/readyz").status_code == 200, 30, what="readiness")
    for node in nodes:
        os.killpg(node.proc.pid, 19)  # SIGSTOP: nothing is taken from the queue
    try:
        accepted = []
        for _ in range(8):  # up to two may already sit in the stopped nodes' prefetch
            r = client.post("/v1/exports", json=slow(0.1))
            if r.status_code == 429:
                break
            assert r.status_code == 202, r.text
            accepted.append(r.headers["location"])
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert 6 <= len(accepted) <= 8
    finally:
        for node in nodes:
            os.killpg(node.proc.pid, 18)  # SIGCONT
    for location in accepted:
        job = wait_for(lambda location=location: (j := client.get(location).json())["state"] in ("done", "failed")
                       and j, 60, what="the queued jobs")
        assert job["state"] == "done", job
