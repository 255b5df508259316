"""A real ``exporter serve`` for the service tests: a subprocess on a free port of 127.0.0.1.

Each server has its own state folder and TOML configuration; :meth:`Server.stop` ends it (and,
if it does not end, its whole process group), so no test leaves a process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import EXPORTER

SECRET = "test-secret-of-the-service-tests-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Server:
    def __init__(self, folder: Path, sections: dict[str, dict] | None = None, env: dict | None = None) -> None:
        self.folder = folder
        self.state = folder / "state"
        self.sections = {"auth": {"secret": SECRET}, "jobs": {"workers": 1}}
        for name, values in (sections or {}).items():
            self.sections.setdefault(name, {}).update(values)
        self.sections.setdefault("service", {})["state_dir"] = str(self.state)
        self.env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "service.toml"
        self.log = folder / "serve.log"
        self.proc: subprocess.Popen | None = None

    def write_config(self) -> None:
        lines = []
        for name, values in self.sections.items():
            lines.append(f"[{name}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self, ready: bool = True, timeout: float = 120) -> Server:
        self.write_config()
        env = {**os.environ, **self.env}
        exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
        self.proc = subprocess.Popen([exe, "serve", "--config", str(self.config), "--port", str(self.port)],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        end = time.monotonic() + timeout
        path = "/readyz" if ready else "/healthz"
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"exporter serve ended ({self.proc.returncode}):\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"exporter serve did not become ready:\n{self.log.read_text()}")

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (a drain), then SIGKILL of the process group if it does not end in time."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # workers left behind by a failed drain
        except ProcessLookupError:
            pass
        proc.wait()
        return proc.returncode

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, **kwargs)

    def token(self, user: str, ttl: int | None = None) -> str:
        """A token made by the real ``exporter token`` with this server's configuration."""
        exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
        args = [exe, "token", "--config", str(self.config), "--user", user]
        if ttl is not None:
            args += ["--ttl", str(ttl)]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, **self.env})
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def workers(self) -> list[int]:
        """Process ids of the server's worker processes (its spawned children)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid and b"spawn_main" in cmd:
                found.append(int(entry.name))
        return sorted(found)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_state(client: httpx.Client, job: str, states: tuple[str, ...], headers=None, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/exports/{job}", headers=headers or {})
        assert r.status_code == 200, r.text
        body = r.json()
        if body["state"] in states:
            return body
        if time.monotonic() > end:
            raise AssertionError(f"job {job} still {body['state']} after {timeout} s: {body}")
        time.sleep(0.05)


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and isinstance(body["detail"], str)
    assert "\n" not in body["detail"] and "Traceback" not in body["detail"]
    return body


PYTHON = sys.executable
