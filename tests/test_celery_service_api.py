"""The service's API tests, all of them, against ``exporter serve`` with the Celery backend.

The tests are those of ``test_service_api.py``, imported as they are; only the server differs:
``[jobs] backend = "celery"``, two ``exporter worker`` nodes and a real redis-server.
"""

from __future__ import annotations

import pytest

from support.celery_workers import TEST_LIMITS, Node, fixture_env, plugin_site
from support.service_server import Server
from test_service_api import *  # noqa: F403 -- the same tests, collected again here
from test_service_api import _link, metric_values  # noqa: F401 -- _link: autouse, not in import *


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("celery-service-api")
    celery = dict(TEST_LIMITS, broker_url=redis_server.url, queue="q-api", key_prefix="t-api:",
                  soft_time_limit=60, time_limit=90, visibility_timeout=120)
    # An annotation store named in the config, as a deployment would: the service creates it;
    # the workers, started first, open it when it is there.
    srv = Server(tmp, {"jobs": {"backend": "celery"}, "celery": celery,
                       "store": {"url": f"sqlite:///{tmp / 'annotations.sqlite'}"}})
    srv.write_config()
    env = fixture_env(plugin_site(tmp / "site"))
    nodes = [Node(n, srv.config, env, tmp).start() for n in ("api1", "api2")]
    try:
        for node in nodes:
            node.wait_ready()
        srv.start()
        import httpx

        srv.baseline = metric_values(httpx.get(srv.url + "/metrics").text)
        yield srv
        assert srv.stop() == 0, srv.log.read_text()
    finally:
        srv.stop()
        for node in nodes:
            node.stop()


def test_a_stored_annotation_reaches_a_print_on_the_workers(client, tokens):
    """An annotation written through the protocol on the service is in the next print rendered by a
    Celery worker: the workers read the store the service writes."""
    import json
    import subprocess

    from support.protocol_server import annotation
    from support.service_server import auth, wait_state
    from test_annotation_protocol import LAYER, MEDIA, QUOTE

    note = "Stored through the protocol for the Celery workers"
    r = client.post("/annotations/kd1/", content=json.dumps(annotation(LAYER, QUOTE, text=note, visibility="private")),
                    headers={**auth(tokens["tomas"]), "Content-Type": MEDIA})
    assert r.status_code == 201, r.text
    body = {"format": "pdf", "entries": ["kd1-1918-03-06"], "layer": "translation", "annotations": "visible",
            "accept_terms": True}

    def printed(user: str) -> str:
        r = client.post("/v1/exports", json=body, headers=auth(tokens[user]))
        assert r.status_code == 202, r.text
        job = wait_state(client, r.json()["id"], ("done", "failed"), headers=auth(tokens[user]), timeout=120)
        assert job["state"] == "done", job
        pdf = client.get(f"/v1/exports/{job['id']}/result", headers=auth(tokens[user]))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        return " ".join(out.decode().split())

    assert note in printed("tomas")
    assert note not in printed("irina")  # private: the store's visibility, on the worker
