"""A real ``exporter serve`` with an annotation store, for the protocol tests and the benchmark.

The store (an SQLite file in the state folder, or a PostgreSQL database) is created and filled
with ``exporter store init|import|user`` before the server starts, as an operator would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from conftest import EXPORTER

SECRET = "test-secret-of-the-store-tests-0123456789abcdef-0123"
W3C = "http://www.w3.org/ns/anno.jsonld"
LD = "application/ld+json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, env: dict | None = None) -> str:
    exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    assert done.returncode == 0, f"exporter {' '.join(args)}: {done.stderr}"
    return done.stdout


class StoreServer:
    """``exporter serve`` on a free port of 127.0.0.1 over a store at ``store_url``."""

    def __init__(self, folder: Path, store_url: str | None = None, workers: int = 1,
                 moderators: tuple[str, ...] = ("dmitri",)) -> None:
        self.folder = folder
        self.state = folder / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        self.store_url = store_url or f"sqlite:///{self.state / 'annotations.sqlite'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "service.toml"
        lines = ["[auth]", f'secret = "{SECRET}"', "[jobs]", f"workers = {workers}",
                 "[service]", f'state_dir = "{self.state}"', "[store]", f'url = "{self.store_url}"']
        self.config.write_text("\n".join(lines) + "\n")
        self.log = folder / "serve.log"
        self.moderators = moderators
        self.proc: subprocess.Popen | None = None
        self._tokens: dict[str, str] = {}

    def start(self, timeout: float = 180) -> StoreServer:
        env = {"EXPORTER_STORE": ""}
        cli("store", "init", "--store", self.store_url, env=env)
        cli("store", "import", "--store", self.store_url, env=env)
        for name in self.moderators:
            cli("store", "user", name, "--role", "moderator", "--store", self.store_url, env=env)
        exe = str(EXPORTER) if EXPORTER.exists() else "exporter"
        self.proc = subprocess.Popen([exe, "serve", "--config", str(self.config), "--port", str(self.port)],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     env={**os.environ, **env}, start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"exporter serve ended ({self.proc.returncode}):\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"exporter serve did not become ready:\n{self.log.read_text()}")

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = cli("token", "--config", str(self.config), "--user", user).strip()
        return self._tokens[user]

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        out.update({k.replace("_", "-"): v for k, v in extra.items()})
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def annotation(source: str, exact: str, text: str = "", visibility: str = "public", group: str | None = None,
               **extra) -> dict:
    """A minimal W3C annotation a client would send."""
    doc = {"@context": W3C, "type": "Annotation",
           "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": exact}},
           "visibility": visibility}
    if text:
        doc["body"] = {"type": "TextualBody", "value": text, "format": "text/plain", "language": "en"}
    if group:
        doc["group"] = group
    doc.update(extra)
    return doc
