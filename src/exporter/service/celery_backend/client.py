"""The sending side: queue jobs on the Celery workers and read their state from the job store.

A service node (``exporter serve --backend celery``) and ``exporter batch`` use this.  A job is
recorded in Redis *before* its message is published, and the caller hears "accepted" only
after both succeeded, so an accepted job is never lost: with Redis's append-only file it
survives a Redis restart, and its message is redelivered until a run finishes it.  While Redis
is unreachable :meth:`CeleryJobs.submit` raises :class:`Unavailable` at once (no retries), with
the seconds to wait before trying again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from .app import CANARY_TASK, RENDER_TASK, make_app
from .settings import CelerySettings
from .store import Job, JobStore, StoreUnavailable

#: Longest a waiter goes without reading its job's record (notifications can be lost while
#: Redis restarts).
RECHECK = 1.0


class Unavailable(Exception):
    """The broker cannot take jobs now; ``retry_after`` seconds is a fair wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def new_job_id() -> str:
    """An unguessable job id (128 random bits)."""
    return secrets.token_urlsafe(16)


class CeleryJobs:
    """Submit, watch, fetch and cancel jobs rendered by ``exporter worker`` nodes."""

    def __init__(self, settings: CelerySettings) -> None:
        self.settings = settings
        self.app = make_app(settings)
        self.store = JobStore(settings)
        self._canary_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._waiters: dict[str, list[Callable[[], None]]] = {}
        self._listener: threading.Thread | None = None

    # -- jobs ------------------------------------------------------------------------------
    def submit(self, request: Any, user: str | None = None, job_id: str | None = None,
               extra: dict[str, str] | None = None) -> str:
        """Queue ``request`` (an ``ExportRequest`` or its fields); returns the job id."""
        fields = asdict(request) if is_dataclass(request) and not isinstance(request, type) else dict(request)
        job_id = job_id or new_job_id()
        try:
            self.store.create(job_id, fields, user, extra)
        except StoreUnavailable as exc:
            raise Unavailable(str(exc), self.settings.retry_after) from None
        try:
            self.app.send_task(RENDER_TASK, args=[job_id], task_id=job_id, retry=False)
        except Exception as exc:  # kombu's OperationalError and redis-py's errors alike
            try:
                self.store.discard(job_id)
            except StoreUnavailable:
                pass  # never published: no worker will see it; its record expires unseen
            raise Unavailable(f"Redis is unreachable: {type(exc).__name__}", self.settings.retry_after) from None
        return job_id

    def get(self, job_id: str) -> Job | None:
        return self._guard(self.store.get, job_id)

    def position(self, job_id: str) -> int | None:
        return self._guard(self.store.position, job_id)

    def get_with_position(self, job_id: str) -> tuple[Job | None, int | None]:
        return self._guard(self.store.get_with_position, job_id)

    def result(self, job_id: str, job: Job | None = None) -> bytes | None:
        return self._guard(self.store.result, job_id, job)

    def cancel(self, job_id: str) -> str:
        """Cancel; a running render is stopped (its process is killed and replaced)."""
        before = self._guard(self.store.cancel, job_id)
        if before == "running":
            try:
                self.app.control.revoke(job_id, terminate=True, signal="SIGKILL")
            except Exception:  # the job is cancelled; its result will be dropped
                pass
        return before

    def depth(self) -> int:
        return self._guard(self.store.depth)

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """Block until the job reaches a final state or ``timeout`` passes; returns the last record.

        Woken by the store's "finished" notification; the record is read again at least every
        :data:`RECHECK` seconds, so a notification lost to a Redis restart costs that much.
        """
        deadline = time.monotonic() + timeout
        woken = threading.Event()
        self.notify(job_id, woken.set)
        try:
            while True:
                job = self.get(job_id)
                left = deadline - time.monotonic()
                if job is None or job.state in ("done", "failed", "cancelled") or left <= 0:
                    return job
                woken.wait(min(left, RECHECK))
                woken.clear()
        finally:
            self.forget(job_id, woken.set)

    # -- "finished" notifications ----------------------------------------------------------
    def notify(self, job_id: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from a listener thread) when ``job_id`` reaches a final state.

        One pub/sub connection per process serves every waiter; callbacks must be quick.
        """
        with self._lock:
            self._waiters.setdefault(job_id, []).append(callback)
            if self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="exporter-finished", daemon=True)
                self._listener.start()

    def forget(self, job_id: str, callback: Callable[[], None]) -> None:
        with self._lock:
            callbacks = self._waiters.get(job_id, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._waiters.pop(job_id, None)

    def _listen(self) -> None:
        channel = self.store.finished_channel
        while not self._stop.is_set():
            pubsub = None
            try:
                pubsub = self.store.r.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel)
                while not self._stop.is_set():
                    msg = pubsub.get_message(timeout=1.0)
                    if msg is None or msg.get("type") != "message":
                        continue
                    job_id = msg["data"].decode() if isinstance(msg["data"], bytes) else str(msg["data"])
                    with self._lock:
                        callbacks = list(self._waiters.get(job_id, []))
                    for callback in callbacks:
                        callback()
            except Exception:  # Redis down or restarting: waiters re-read their job meanwhile
                self._stop.wait(1.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass

    # -- health ----------------------------------------------------------------------------
    def readiness(self) -> tuple[bool, str]:
        """``(ready, reason)``: Redis answers and a worker finished a canary job recently."""
        if not self.store.ping():
            return False, "Redis is unreachable"
        try:
            age = self.store.canary_age()
        except StoreUnavailable:
            return False, "Redis is unreachable"
        if age is None:
            return False, "no worker has finished a canary job yet"
        if age > self.settings.canary_max_age:
            return False, f"no worker has finished a canary job for {age:.0f} s"
        return True, f"a worker finished a canary job {age:.1f} s ago"

    def send_canary(self) -> bool:
        try:
            self.app.send_task(CANARY_TASK, expires=self.settings.canary_max_age, retry=False)
            return True
        except Exception:  # Redis down: readiness says so
            return False

    def start_canary(self) -> None:
        """Send a canary job every ``canary_interval`` seconds from a daemon thread."""
        if self._canary_thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                self.send_canary()
                self._stop.wait(self.settings.canary_interval)

        self._canary_thread = threading.Thread(target=loop, name="exporter-canary", daemon=True)
        self._canary_thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._canary_thread is not None:
            self._canary_thread.join(timeout=2)
            self._canary_thread = None
        if self._listener is not None:
            self._listener.join(timeout=3)
            self._listener = None
        try:
            self.store.r.close()
        except Exception:
            pass

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except StoreUnavailable as exc:
            raise Unavailable(str(exc), self.settings.retry_after) from None
