"""A private ``redis-server`` on a free local port, in its own folder (tests, benchmarks, a demo).

The server is Debian's ``redis-server`` (installed by ``scripts/setup.sh``), started with every
setting on its command line so that no system configuration leaks in:

* ``appendonly yes`` with ``appendfsync everysec``: Redis writes each command to its
  append-only file as it serves it, so an accepted job (its state and its broker message) is
  in the file -- in the kernel's hands -- when the service answers 202, and a Redis that is
  stopped, or killed, and started again on the same folder still holds every queued job.  The
  file is flushed to the disk once a second; a crash of the whole machine can lose the last
  second, and so can a killed Redis while a slow disk makes it hold writes back (up to two
  seconds).  ``fsync="always"`` closes both, at about 10 ms per write on this project's
  machine and several writes per job (see docs/scaling.md).
* ``save ""``: no RDB snapshots, so no background fork copies the data set at arbitrary moments
  and a restart reads exactly the append-only file.
* ``bind 127.0.0.1``, ``protected-mode yes``, no ``daemonize``: only this machine can reach it and
  the process is ours to stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: The settings that make a restart keep every queued job (see the module docstring).
DURABLE_SETTINGS: tuple[str, ...] = (
    "--appendonly", "yes",
    "--save", "",
    "--bind", "127.0.0.1",
    "--protected-mode", "yes",
    "--daemonize", "no",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    """One ``redis-server`` process on 127.0.0.1; :meth:`stop` and :meth:`start` keep its data."""

    def __init__(self, folder: str | os.PathLike | None = None, port: int | None = None,
                 executable: str | None = None, fsync: str = "everysec") -> None:
        if fsync not in ("everysec", "always"):
            raise ValueError(f"fsync {fsync!r}: expected everysec or always")
        self.fsync = fsync
        self._own_folder = folder is None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="exporter-redis-"))
        self.port = port or free_port()
        self.executable = executable or shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "LocalRedis":
        if not Path(self.executable).exists():
            raise RuntimeError("redis-server is not installed (bash scripts/setup.sh installs Debian's)")
        log = open(self.folder / "redis.log", "ab")
        self.proc = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--dir", str(self.folder), *DURABLE_SETTINGS,
             "--appendfsync", self.fsync],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}; see {self.folder}/redis.log")
            if self.ping():
                return self
            time.sleep(0.02)
        self.stop(kill=True)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout:g} s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, kill: bool = False, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM: it flushes the append-only file; ``kill``: SIGKILL)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self) -> None:
        """Stop the server and remove its folder if this object made it."""
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "LocalRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
