"""Real processes for the Celery backend's tests: a redis-server and ``exporter worker`` nodes.

``redis_server`` is a session fixture (tests/conftest.py imports it).  Each
worker node is its own process group (main process and pool children), started with the
fixture plugins of ``tests/plugins/plugin_worker_faults.py`` installed through a real entry
point, and short time limits so the fault tests stay quick.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exporter.service.celery_backend.local_redis import LocalRedis

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins"
EXPORTER = Path(sys.executable).parent / "exporter"

#: Short limits for tests: soft < hard < visibility timeout, and a quick canary.
TEST_LIMITS = dict(soft_time_limit=4, time_limit=6, visibility_timeout=10, max_attempts=3,
                   canary_interval=1, canary_max_age=6, redis_timeout=0.5, retry_after=2)


@pytest.fixture(scope="session")
def redis_server():
    """One redis-server for the session (tests isolate themselves by key prefix and queue)."""
    server = LocalRedis().start()
    yield server
    server.close()


def write_config(path: Path, broker: str, name: str, **extra) -> Path:
    """A TOML config with a ``[celery]`` table: the test limits, a queue and key prefix of ``name``."""
    values = dict(TEST_LIMITS, broker_url=broker, queue=f"q-{name}", key_prefix=f"t-{name}:", **extra)
    lines = ["[celery]"]
    for key, value in values.items():
        lines.append(f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def plugin_site(folder: Path) -> Path:
    """A site folder whose dist-info declares the worker-fault fixture plugin as an entry point."""
    dist = folder / "worker_fault_fixtures-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: worker-fault-fixtures\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[exporter]\nworker-faults = plugin_worker_faults\n")
    return folder


def fixture_env(site: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGIN_DIR)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["EXPORTER_PLUGINS"] = "worker-faults"
    env.pop("EXPORTER_BROKER_URL", None)
    # A config with no [service] state_dir: the embedded annotation store of this test's own.
    env["EXPORTER_STATE"] = str(site.parent / "state")
    return env


class Node:
    """An ``exporter worker`` process group that can be stopped, killed and started again."""

    def __init__(self, name: str, config: Path, env: dict[str, str], log_dir: Path,
                 concurrency: int = 1) -> None:
        self.name, self.config, self.env = name, config, env
        self.log = log_dir / f"{name}.log"
        self.concurrency = concurrency
        self.proc: subprocess.Popen | None = None

    @property
    def hostname(self) -> str:
        return f"{self.name}@test"

    def start(self) -> Node:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(EXPORTER), "worker", "--config", str(self.config), "--hostname", self.hostname,
                 "--concurrency", str(self.concurrency)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        """Until the node logs that it is ready to take jobs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"worker {self.name} exited {self.proc.returncode}:\n{self.tail()}")
            if "ready." in self.tail(4000):
                return
            time.sleep(0.1)
        raise AssertionError(f"worker {self.name} not ready after {timeout} s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole node (main process and pool children), as a machine failure would."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL whatever is left of the group."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self.proc = None


def wait_for(predicate, timeout: float, poll: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
