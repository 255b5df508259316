"""A reader's first session as the README gives it: ``exporter serve`` with no configuration.

One real server (the bundled sample, its signing key and annotation store made on first use in
a fresh state folder) is asked what a client of the API would ask; answers are read with httpx.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter

import httpx
import pytest

from conftest import EXPORTER, run_cli
from support.protocol_server import LD, W3C, annotation, free_port
from support.service_server import assert_problem

MEDIA = f'{LD}; profile="{W3C}"'
LAYER = "https://archive.example.org/kd/kd1/kd1-1918-03-06/translation"


class ZeroConfigServer:
    """``exporter serve --port N`` with only ``EXPORTER_STATE`` set, as a new user starts it."""

    def __init__(self, folder) -> None:
        self.env = {**os.environ, "EXPORTER_STATE": str(folder / "state"), "EXPORTER_STORE": ""}
        self.env.pop("EXPORTER_CONFIG", None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        self.exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
        self.proc = subprocess.Popen([self.exe, "serve", "--port", str(self.port), "--workers", "1"],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        end = time.monotonic() + 180
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise AssertionError(f"exporter serve did not become ready:\n{self.log.read_text()}")

    def token(self, user: str) -> str:
        done = subprocess.run([self.exe, "token", "--user", user], capture_output=True, text=True,
                              env=self.env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        return self.proc.returncode


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ZeroConfigServer(tmp_path_factory.mktemp("user-paths"))
    srv.client = httpx.Client(base_url=srv.url, timeout=120)
    yield srv
    srv.client.close()
    assert srv.stop() == 0, srv.log.read_text()


def test_openapi_operation_ids_are_unique(server):
    """OpenAPI requires unique operationIds; client generators refuse a document without them."""
    spec = server.client.get("/openapi.json").json()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert "head" in spec["paths"]["/annotations/{volume}/"] and "get" in spec["paths"]["/annotations/{volume}/"]
    assert "Duplicate Operation ID" not in server.log.read_text()


def test_start_up_log_speaks_of_the_service_only(server):
    """The store's migrations run at start; their library's own chatter is not the user's business."""
    log = server.log.read_text()
    assert "serving the bundled sample" in log
    assert "alembic" not in log and "Context impl" not in log


def test_problem_titles_name_the_problem(server):
    user = server.token("irina")
    auth = {"Authorization": f"Bearer {user}"}
    # An annotation whose quote is nowhere on its layer: not a print-policy refusal.
    bad = annotation(LAYER, "no such words anywhere here", "x", visibility="private")
    body = assert_problem(server.client.post("/annotations/kd1/", content=json.dumps(bad),
                                             headers={**auth, "Content-Type": MEDIA}), 422)
    assert "print policy" not in body["title"].lower()
    # The print policy's own refusal keeps its title and type.
    r = server.client.post("/v1/exports", json={"format": "pdf", "all": True, "accept_terms": True}, headers=auth)
    body = assert_problem(r, 422)
    assert body["title"] == "Refused by the print policy" and body["type"] == "/problems/print-policy"
    # If-Match missing (428) and stale (412) have their own titles.
    good = annotation(LAYER, "I buy from them", "x", visibility="private")
    made = server.client.post("/annotations/kd1/", content=json.dumps(good), headers={**auth, "Content-Type": MEDIA})
    assert made.status_code == 201, made.text
    where, etag = made.headers["Location"], made.headers["ETag"]
    doc = made.json()
    assert assert_problem(server.client.put(where, content=json.dumps(doc), headers={**auth, "Content-Type": MEDIA}),
                          428)["title"] == "Precondition required"
    assert server.client.put(where, content=json.dumps(doc),
                             headers={**auth, "Content-Type": MEDIA, "If-Match": etag}).status_code == 200
    assert assert_problem(server.client.put(where, content=json.dumps(doc),
                                            headers={**auth, "Content-Type": MEDIA, "If-Match": etag}),
                          412)["title"] == "Precondition failed"
    now = server.client.get(where, headers=auth).headers["ETag"]
    assert server.client.delete(where, headers={**auth, "If-Match": now}).status_code == 204


def test_http_errors_point_to_the_api_not_the_command_line(server):
    """An HTTP client cannot run `exporter toc`; the hint names the route that answers the question."""
    body = assert_problem(server.client.get("/v1/citations", params={"entries": "kd1-1918-03-06", "style": "nope"}),
                          400)
    assert "exporter styles" not in body["detail"] and "GET /v1/styles?search=TEXT" in body["detail"]
    body = assert_problem(server.client.post("/v1/exports", json={"format": "ris", "entries": ["nope"]}), 404)
    assert "exporter toc" not in body["detail"] and "GET /v1/volumes/{volume}/entries" in body["detail"]
    # "mine" without a token: the missing token is the problem (401), not a command-line --user
    res = server.client.get("/v1/export", params={"format": "ris", "entries": "kd1-1918-03-06",
                                                  "annotations": "mine"})
    body = assert_problem(res, 401)
    assert "--user" not in body["detail"] and "token" in body["detail"]
    assert res.headers["WWW-Authenticate"] == "Bearer"


def test_port_zero_start_line_names_the_chosen_port(tmp_path):
    """`--port 0 picks a free one`: the start-up line must say which, or the user cannot reach it."""
    env = {**os.environ, "EXPORTER_STATE": str(tmp_path / "state"), "EXPORTER_STORE": ""}
    exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
    proc = subprocess.Popen([exe, "serve", "--port", "0", "--workers", "1"], stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        line = ""
        for line in proc.stderr:
            if "serving the bundled sample on" in line:
                break
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        port = int(url.rsplit(":", 1)[1])
        assert port != 0, line
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"nothing answers on {url}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_a_style_search_without_match_says_so():
    """An empty answer to `exporter styles --search` looks like a hang or a broken catalog."""
    res = run_cli("styles", "--search", "no such style title zzqx")
    assert res.returncode == 0 and res.stdout == b""
    assert res.stderr.decode().strip() == "exporter: no style matches 'no such style title zzqx'"
    assert json.loads(run_cli("styles", "--search", "no such style title zzqx", "--json").stdout) == []


def test_sigterm_at_start_up_stops_the_server(tmp_path):
    """A SIGTERM sent as soon as `exporter serve` names its address, while its workers are still
    starting, stops the server with exit code 0 (the command's own handler, in place before that
    line, asks the server to stop rather than swallowing the signal)."""
    env = dict(os.environ, EXPORTER_STATE=str(tmp_path / "state"))
    proc = subprocess.Popen([str(EXPORTER), "serve", "--port", "0", "--workers", "1"], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "serving the bundled sample on" in line:
                proc.send_signal(signal.SIGTERM)
                break
        proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        raise AssertionError("the server went on after SIGTERM") from None
    assert proc.returncode == 0
