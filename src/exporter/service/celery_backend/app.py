"""The Celery application: crash-safe delivery settings and the two tasks (render, canary).

Delivery is at-least-once and the job store makes it exactly-one-result:

* ``task_acks_late``: a message is acknowledged after its render, so a worker that dies
  mid-render leaves it unacknowledged; ``task_reject_on_worker_lost`` hands it straight back to
  the queue when the pool notices its child died, and Redis's ``visibility_timeout`` hands it to
  another node when a whole node (main process and children) is gone.
* Celery does not count redeliveries, so :meth:`JobStore.begin` does: a job whose runs keep
  killing their worker fails as poison after ``max_attempts``, with the last reason.
* soft limit < hard limit < visibility timeout (checked in :mod:`.settings`): the soft limit
  fails the job with a reason; the hard limit kills a worker stuck in C code (the pool starts a
  new one) and fails the job; neither leaves a message that Redis would redeliver while it runs.
* Prefetch 1 (a node holds one message per idle process, so a busy node does not sit on work
  another could take), and children are recycled after ``max_tasks_per_child`` jobs or above
  ``max_memory_per_child_mb``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, WorkerLostError
from celery.worker.request import Request

from .settings import CelerySettings
from .store import JobStore, StoreUnavailable

log = logging.getLogger("exporter.service.celery_backend")

RENDER_TASK = "exporter.render"
CANARY_TASK = "exporter.canary"


def celery_config(settings: CelerySettings) -> dict[str, Any]:
    """Celery settings for ``settings`` (the same on every node)."""
    restore_every = max(1, min(10, int(settings.visibility_timeout / 4)))
    return dict(
        broker_url=settings.broker_url,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # Look for messages of dead nodes every few seconds, not every 100 s (the default).
            "unacked_restore_interval": restore_every,
            "unacked_restore_throttle": 1,
            "socket_timeout": max(settings.redis_timeout, 5.0),
            "socket_connect_timeout": settings.redis_timeout,
            "health_check_interval": 10,
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis to come back
        task_default_queue=settings.queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results and state live in the job store
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_soft_time_limit=settings.soft_time_limit,
        task_time_limit=settings.time_limit,
        task_publish_retry=False,  # the service answers 503 at once rather than hang
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.concurrency,
        worker_max_tasks_per_child=settings.max_tasks_per_child,
        worker_max_memory_per_child=settings.max_memory_per_child_mb * 1024,  # KiB
        worker_proc_alive_timeout=60,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        exporter_settings=asdict(settings),
    )


# -- one runtime per process ---------------------------------------------------------------

class Runtime:
    """A process's engine and job store (built before the pool forks, so children start warm)."""

    def __init__(self, settings: CelerySettings) -> None:
        self.settings = settings
        self.store = JobStore(settings)
        self.annotations: Any = None
        self._engine: Any = None
        #: A private folder for results on their way to the store (set by the worker node).
        self.scratch: str | None = None

    @property
    def engine(self):
        """The engine, on the service's annotation store (opened on first use, and tried again on
        the next job while it cannot be opened: the job fails with the reason meanwhile)."""
        if self._engine is None:
            from ...engine import Engine

            limit: dict[str, Any] = {"print_limit": self.settings.print_limit} if self.settings.print_limit else {}
            if self.settings.store and self.annotations is None:
                if self.settings.store_embedded:
                    from ..store_setup import open_store_url, sqlite_file

                    path = sqlite_file(self.settings.store)
                    if path is not None:  # the state folder, made as the service makes it
                        path.parent.mkdir(parents=True, exist_ok=True)
                    self.annotations = open_store_url(self.settings.store, self.settings.corpus)
                else:
                    from ...store import Store

                    self.annotations = Store(self.settings.store)
            self._engine = Engine(store=self.annotations, **limit)
        return self._engine

    def after_fork(self) -> None:
        """In a pool child: new database connections (a forked connection is the parent's)."""
        if self.annotations is not None:
            self.annotations.db.reader.dispose(close=False)
            self.annotations.db.writer.dispose(close=False)


_runtime: Runtime | None = None


def runtime(app: Celery) -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(CelerySettings(**app.conf.exporter_settings))
    return _runtime


def retrying(settings: CelerySettings, fn, *args, **kwargs):
    """Call ``fn`` until Redis answers, for at most the soft time limit (it may be restarting)."""
    deadline = time.monotonic() + settings.soft_time_limit
    delay = 0.2
    while True:
        try:
            return fn(*args, **kwargs)
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


# -- the worker's main process: what happens when a child dies or hits the hard limit ----------

class JobRequest(Request):
    """Records lost workers and hard time-outs in the job store (they happen outside the task)."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if not soft:
            try:
                runtime(self.task.app).store.fail(
                    self.id, f"the render passed the hard time limit of {timeout:g} s; its worker "
                             f"process was killed and replaced", "timeout")
            except StoreUnavailable:
                log.warning("job %s: hard time limit passed; Redis unreachable to record it", self.id)

    def on_failure(self, exc_info, send_failed_event: bool = True, return_ok: bool = False):
        exc = getattr(exc_info, "exception", None)
        exc = getattr(exc, "exc", exc)
        if self.name == RENDER_TASK and isinstance(exc, (WorkerLostError, SystemExit)):
            reason = _loss_reason(exc)
            try:
                runtime(self.task.app).store.lost(self.id, reason)
            except StoreUnavailable:
                pass  # the redelivery's attempt counter still counts it
        return super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


def _loss_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    for sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGTERM):
        if f"signal {int(sig)} " in text + " " or sig.name in text:
            return f"worker process ended by {sig.name} ({text})"
    return f"worker process lost ({text})"


class JobTask(Task):
    Request = JobRequest
    typing = False


# -- the tasks --------------------------------------------------------------------------------

def _render(task: Task, job_id: str) -> str:
    rt = runtime(task.app)
    store, settings = rt.store, rt.settings
    worker = task.request.hostname or "worker"
    started = time.time()
    state, attempt, fields = retrying(settings, store.begin, job_id, worker)
    if state != "running" or fields is None:
        log.info("job %s: %s (delivery %d), not rendered", job_id, state, attempt)
        return state
    from ...engine import ExportRequest
    from ...errors import ExporterError

    if not fields.get("corpus") and settings.corpus:
        fields["corpus"] = settings.corpus
    fields["timeout"] = None  # Celery's soft and hard limits govern the whole job
    try:
        request = ExportRequest(**fields)
        fmt = rt.engine.plugins.formats.get(request.format)
        if rt.scratch is None:
            with tempfile.TemporaryDirectory(prefix="exporter-job-") as tmp:
                out = Path(tmp) / f"result.{fmt.extension}"
                result = rt.engine.export(request, out)
                data = out.read_bytes()
        else:
            # The file is only a way to the bytes that go to the result store: written in the
            # node's scratch folder (memory-backed where there is one) and removed at once.
            out = Path(rt.scratch) / f"{job_id}.{os.getpid()}.{fmt.extension}"
            try:
                result = rt.engine.export(request, out)
                data = out.read_bytes()
            finally:
                out.unlink(missing_ok=True)
    except SoftTimeLimitExceeded:
        retrying(settings, store.fail, job_id, _soft_reason(settings), "timeout")
        return "failed"
    except ExporterError as exc:
        if isinstance(exc.__cause__, SoftTimeLimitExceeded):
            retrying(settings, store.fail, job_id, _soft_reason(settings), "timeout")
        else:
            from ..problems import from_engine  # the HTTP status the service gives this error

            retrying(settings, store.fail, job_id, str(exc), type(exc).__name__, from_engine(exc).status)
        return "failed"
    except (TypeError, ValueError) as exc:  # a request the service should not have queued
        retrying(settings, store.fail, job_id, f"bad job request: {exc}", "UsageError")
        return "failed"
    meta = {"media_type": result.media_type, "extension": fmt.extension, "format": result.format,
            "source_pages": result.source_pages, "rendered_pages": result.rendered_pages or "",
            "entries": result.entries, "annotations": result.annotations,
            "warnings": json.dumps(result.warnings), "worker": worker, "attempt": attempt, "started": repr(started)}
    won = retrying(settings, store.publish, job_id, data, meta)
    log.info("job %s: %s on %s (delivery %d)", job_id, "published" if won else "duplicate dropped",
             worker, attempt)
    return "done" if won else "duplicate"


def _soft_reason(settings: CelerySettings) -> str:
    return f"the render did not finish within the time limit of {settings.soft_time_limit:g} s"


def _canary(task: Task) -> str:
    rt = runtime(task.app)
    rt.store.canary_done(task.request.hostname or "worker")
    return "ok"


def make_app(settings: CelerySettings) -> Celery:
    """A Celery app for ``settings`` with the render and canary tasks registered."""
    app = Celery("exporter", set_as_current=False)
    app.conf.update(celery_config(settings))
    app.task(name=RENDER_TASK, base=JobTask, bind=True)(_render)
    app.task(name=CANARY_TASK, base=JobTask, bind=True, acks_late=False)(_canary)
    return app
