"""``exporter serve`` and ``exporter token`` as a user starts them: no configuration (the
one-command demo), the documented sample configuration, environment overrides, bad options."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from conftest import ROOT, run_cli
from support.service_server import free_port

SAMPLE_CONFIG = ROOT / "docs" / "service.sample.toml"


def serve(args: list[str], env: dict[str, str], log) -> tuple[subprocess.Popen, str]:
    from conftest import EXPORTER

    port = free_port()
    proc = subprocess.Popen([str(EXPORTER), "serve", *args, "--port", str(port), "--workers", "1"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        assert proc.poll() is None, "exporter serve ended early"
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(proc)
    raise AssertionError("exporter serve did not become ready")


def stop(proc: subprocess.Popen) -> int:
    proc.terminate()
    try:
        return proc.wait(60)
    finally:
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait()


@pytest.mark.parametrize("how", ["no-config", "sample-config"])
def test_demo_serves_the_bundled_sample_with_a_key_made_on_first_use(tmp_path, how):
    state = tmp_path / "state"
    if how == "no-config":
        args, env = [], {"EXPORTER_STATE": str(state)}
        token_args = []
    else:
        args = ["--config", str(SAMPLE_CONFIG)]
        env = {"EXPORTER_SERVICE_STATE_DIR": str(state)}  # an environment override of [service]
        token_args = ["--config", str(SAMPLE_CONFIG)]
    with open(tmp_path / "serve.log", "wb") as log:
        proc, url = serve(args, env, log)
        try:
            key = state / "signing.key"
            assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
            token = run_cli("token", *token_args, "--user", "irina", env=env).stdout.decode().strip()
            h = {"Authorization": f"Bearer {token}"}
            toc = httpx.get(url + "/v1/volumes/kd1/entries").json()
            assert toc[0]["id"] == "kd1-1918-01-03"
            r = httpx.post(url + "/v1/exports", headers={**h, "Prefer": "wait=60"}, timeout=90,
                           json={"format": "pdf", "entries": ["kd1-1918-03-06"], "accept_terms": True,
                                 "annotations": "mine"})
            assert r.status_code == 200 and r.content.startswith(b"%PDF-")
            assert httpx.get(url + "/v1/formats", headers={"Authorization": "Bearer " + token[:-2] + "xx"}
                             ).status_code == 401
        finally:
            assert stop(proc) == 0
    assert b"Traceback" not in (tmp_path / "serve.log").read_bytes()


def test_bad_configuration_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[jobs]\nworkers = 'many'\n")
    proc = run_cli("serve", "--config", str(bad))
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1
    assert b"[jobs] workers: expected int" in proc.stderr
    bad.write_text("[nope]\nx = 1\n")
    assert b"unknown section [nope]" in run_cli("serve", "--config", str(bad)).stderr
    proc = run_cli("serve", "--config", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2 and b"cannot read it" in proc.stderr
    proc = run_cli("token", "--user", "irina", env={"EXPORTER_AUTH_ALGORITHM": "RS256"})
    assert proc.returncode == 2 and b"needs public_key_file" in proc.stderr
    proc = run_cli("token", "--user", "irina", "--ttl", "0", env={"EXPORTER_STATE": str(tmp_path)})
    assert proc.returncode == 2 and b"--ttl must be positive" in proc.stderr


def test_other_commands_do_not_import_the_service_stack():
    code = ("import sys, io, contextlib\n"
            "from exporter.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['formats']); main(['toc'])\n"
            "bad = [m for m in ('fastapi', 'uvicorn', 'jwt', 'pydantic', 'starlette', 'exporter.service')"
            " if m in sys.modules]\n"
            "assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
