"""The service's API tests, all of them, against ``exporter serve`` with the Celery backend.

The tests are those of ``test_service_api.py``, imported as they are; only the server differs:
``[jobs] backend = "celery"``, two ``exporter worker`` nodes and a real redis-server.
"""

from __future__ import annotations

import pytest

from support.celery_workers import TEST_LIMITS, Node, fixture_env, plugin_site
from support.service_server import Server
from test_service_api import *  # noqa: F401,F403 -- the same tests, collected again here
from test_service_api import _link, metric_values  # noqa: F401 -- _link: autouse, not in import *


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("celery-service-api")
    celery = dict(TEST_LIMITS, broker_url=redis_server.url, queue="q-api", key_prefix="t-api:",
                  soft_time_limit=60, time_limit=90, visibility_timeout=120)
    srv = Server(tmp, {"jobs": {"backend": "celery"}, "celery": celery})
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
