"""The service's job-backend protocol on Celery: ``exporter serve --backend celery``.

:func:`make_backend` is the factory the service calls for ``[jobs] backend = "celery"`` (or
``--backend celery``).  Jobs go to Redis and the ``exporter worker`` nodes; the service node
keeps what the service keeps for any backend in its own store -- the audit row of each print
and the reader's daily quota, recorded by the same call as with the local backend -- and a
local copy of each result it hands out.  While Redis is unreachable every call that needs it
raises :class:`~exporter.service.jobs.BackendUnavailable` (503 with ``Retry-After``); nothing
needs restarting when Redis is back.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from pathlib import Path
from typing import Any

from ..config import Config
from ..jobs import FINISHED, BackendUnavailable, JobSpec, JobStatus, QueueFull
from ..store import JobStore as ServiceStore
from .client import RECHECK, CeleryJobs, Unavailable
from .settings import CelerySettings, load_settings
from .store import Job


def settings_for(config: Config) -> CelerySettings:
    """Celery settings for a service config: its ``[celery]`` table, then env and the service's own
    corpus, print limit, result TTL and canary interval where the table does not set them."""
    defaults = {"corpus": config.corpus_path, "store": config.store_url, "store_embedded": not config.store.url,
                "print_limit": config.policy.print_limit or None,
                "result_ttl": float(config.jobs.result_ttl), "canary_interval": config.jobs.canary_interval,
                "canary_max_age": 3 * config.jobs.canary_interval}
    return load_settings(config.source or None, defaults=defaults)


def make_backend(config: Config, store: ServiceStore) -> CeleryBackend:
    return CeleryBackend(config, store, settings_for(config))


def _unavailable(exc: Unavailable) -> BackendUnavailable:
    err = BackendUnavailable(f"the job queue is unavailable ({exc}); try again shortly")
    err.retry_after = exc.retry_after  # type: ignore[attr-defined]
    return err


class CeleryBackend:
    """A :class:`~exporter.service.jobs.JobBackend` whose workers are ``exporter worker`` nodes."""

    def __init__(self, config: Config, store: ServiceStore, settings: CelerySettings) -> None:
        self.config = config
        self.service_store = store
        self.settings = settings
        self.jobs = CeleryJobs(settings)
        self.cache = config.state_path / "celery-results"

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.cache.mkdir(parents=True, exist_ok=True)
        self.jobs.start_canary()

    def close(self, drain: bool = True) -> None:
        # Renders run on the worker nodes; queued jobs stay in Redis for them.
        self.jobs.close()

    # -- the protocol ----------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> JobStatus:
        try:
            depth = self.jobs.depth()
        except Unavailable as exc:
            raise _unavailable(exc) from None
        if depth >= self.config.jobs.queue_size:
            raise QueueFull(f"the export queue is full ({depth} jobs waiting)", self._retry_after(depth))
        self.service_store.insert(spec)  # audit row and quota, as for every backend
        extra = {"owner": spec.owner or "", "filename": spec.filename, "media_type_expected": spec.media_type}
        try:
            self.jobs.submit(spec.request, user=spec.owner, job_id=spec.id, extra=extra)
        except Unavailable as exc:
            self.service_store.failed(spec.id, "not queued: the job queue was unavailable")
            raise _unavailable(exc) from None
        status = self.status(spec.id)
        assert status is not None
        return status

    def _retry_after(self, depth: int) -> int:
        try:
            stats = self.jobs.store.stats()
        except Exception:
            stats = {}
        count = stats.get("job_seconds_count", 0)
        mean = stats.get("job_seconds_sum", 0) / count if count else 2.0
        return max(1, min(300, math.ceil(mean * depth)))

    def status(self, job_id: str) -> JobStatus | None:
        try:
            job, position = self.jobs.get_with_position(job_id)
        except Unavailable as exc:
            raise _unavailable(exc) from None
        if job is None:
            return None
        status = self._status(job, position)
        if status.state in FINISHED:
            self._settle(status)
        return status

    def _status(self, job: Job, position: int | None) -> JobStatus:
        f = job.fields
        info: dict[str, Any] = {}
        for key in ("source_pages", "rendered_pages", "entries", "annotations"):
            if f.get(key):
                info[key] = int(f[key])
        if f.get("warnings"):
            info["warnings"] = json.loads(f["warnings"])
        if f.get("worker"):
            info["worker"] = f["worker"]
        if job.state == "failed":
            info["status"] = int(f.get("http_status") or 500)
        return JobStatus(
            id=job.id, owner=f.get("owner") or None, state=job.state,
            progress=float(f.get("progress") or 0.0),
            queue_position=position if job.state == "queued" else None,
            error=job.error, created=job.created,
            started=float(f["started"]) if f.get("started") else None,
            finished=float(f["finished"]) if f.get("finished") else None,
            attempts=job.attempts, filename=f.get("filename", ""),
            media_type=f.get("media_type") or f.get("media_type_expected", ""),
            size=int(f["size"]) if f.get("size") else None, info=info)

    def _settle(self, status: JobStatus) -> None:
        """Record a finished job in the service's store once (its quota counts done prints only)."""
        mine = self.service_store.get(status.id)
        if mine is None or mine.state in FINISHED:
            return
        if status.state == "done":
            self.service_store.done(status.id, "", status.size or 0, status.info)
        elif status.state == "failed":
            self.service_store.failed(status.id, status.error or "failed", {"status": status.info.get("status", 500)})
        else:
            self.service_store.cancelled(status.id)

    async def wait(self, job_id: str, timeout: float) -> JobStatus | None:
        """Until the job is finished or ``timeout`` passes: woken by the job store's "finished"
        notification (Redis pub/sub), and reading the record again at least every second."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        woken = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(woken.set)

        self.jobs.notify(job_id, wake)
        try:
            while True:
                status = await asyncio.to_thread(self.status, job_id)
                left = deadline - time.monotonic()
                if status is None or status.state in FINISHED or left <= 0:
                    return status
                try:
                    await asyncio.wait_for(woken.wait(), min(left, RECHECK))
                except TimeoutError:
                    pass
                woken.clear()
        finally:
            self.jobs.forget(job_id, wake)

    def result(self, job_id: str) -> str | None:
        """A path on this node holding the result: the shared folder's file, or a local copy."""
        try:
            job = self.jobs.get(job_id)
            if job is None or job.state != "done":
                return None
            if job.fields.get("location") == "file" and self.settings.result_dir:
                path = Path(self.settings.result_dir) / job.fields["path"]
                return str(path) if path.exists() else None
            local = self.cache / f"{job_id}.{job.fields.get('extension', 'bin')}"
            if local.exists():
                return str(local)
            data = self.jobs.result(job_id, job)
        except Unavailable as exc:
            raise _unavailable(exc) from None
        if data is None:
            return None  # expired
        part = local.with_name(local.name + f".{os.getpid()}.part")
        part.write_bytes(data)
        os.replace(part, local)
        self._sweep()
        return str(local)

    def _sweep(self) -> None:
        """Remove local copies older than the result TTL."""
        cutoff = time.time() - self.settings.result_ttl
        try:
            for path in self.cache.iterdir():
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    def cancel(self, job_id: str) -> JobStatus | None:
        try:
            self.jobs.cancel(job_id)
        except Unavailable as exc:
            raise _unavailable(exc) from None
        return self.status(job_id)

    def queue_depth(self) -> int:
        try:
            return self.jobs.depth()
        except Unavailable:
            return 0

    def readiness(self) -> tuple[bool, str]:
        ok, why = self.jobs.readiness()
        if not ok:
            return ok, why
        depth = self.queue_depth()
        if depth >= self.config.jobs.queue_size:
            return False, f"the queue is full ({depth} jobs waiting)"
        return True, why

    def stats(self) -> dict[str, Any]:
        try:
            out: dict[str, Any] = dict(self.jobs.store.stats())
            out["queue_depth"] = self.jobs.depth()
        except Exception:  # metrics must answer while Redis is down
            out = {"queue_depth": 0}
        return out
