"""The embedded job backend: K spawned worker processes, a bounded queue, SQLite job state.

One dispatcher thread owns the workers: it hands queued jobs to idle workers, reads their
answers, kills a worker whose render passes the time limit (and starts a new one, so a hang in C
code cannot stall the service), replaces workers that die, recycles a worker after N jobs or
above an RSS cap, runs canary jobs for readiness and deletes expired results.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
import socket
import threading
import time
from multiprocessing.connection import wait as wait_ready
from pathlib import Path
from typing import Any

from . import worker as worker_module
from .config import Config
from .jobs import FINISHED, BackendUnavailable, JobSpec, JobStatus, QueueFull
from .store import JobStore

#: Seconds past the time limit before the worker is killed (the engine's own limit fires first
#: when the render returns to Python).
KILL_GRACE = 1.0
#: Histogram buckets of job seconds.
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class _Worker:
    def __init__(self, ctx, settings: dict[str, Any], number: int) -> None:
        parent, child = ctx.Pipe()
        self.number = number
        self.proc = ctx.Process(target=worker_module.main, args=(child, settings), daemon=True,
                                name=f"exporter-worker-{number}")
        self.proc.start()
        child.close()
        self.conn = parent
        self.ready = False
        self.job: str | None = None
        self.job_started = 0.0
        self.deadline = 0.0
        self.canary = False
        self.jobs_run = 0
        self.rss = 0
        #: When it last answered (``time.monotonic``): the idle worker that answered first gets
        #: the next job.
        self.idle_since = 0.0
        #: Why the dispatcher (or a cancel) ended this worker; ``None`` if it died on its own.
        self.ended: str | None = None

    def kill(self, reason: str) -> None:
        self.ended = reason
        try:
            self.proc.kill()
        except (OSError, ValueError):
            pass


class LocalBackend:
    """A :class:`~exporter.service.jobs.JobBackend` on this machine."""

    def __init__(self, config: Config, store: JobStore) -> None:
        self.config = config
        self.jobs = config.jobs
        self.store = store
        #: The annotation store the workers' engines read (``None``: the corpus's files).
        self.annotation_store: str | None = config.store_url
        self.results = config.state_path / "results"
        self.scratch = config.state_path / "tmp"
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.RLock()
        self._queue: collections.deque[str] = collections.deque()
        self._workers: list[_Worker] = []
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
        self._accepting = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._numbers = 0
        self._last_canary_ok = 0.0
        self._last_canary_sent = 0.0
        self._canary_error: str | None = "no worker has started yet"
        self._next_sweep = 0.0
        self.counters: dict[str, float] = collections.defaultdict(float)
        self.buckets = [0] * len(BUCKETS)

    # -- life cycle ------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {"corpus": self.config.corpus_path, "store": self.annotation_store, "scratch": str(self.scratch),
                "time_limit": self.jobs.time_limit, "warm_formats": ["pdf", "docx"],
                "canary_formats": ["pdf"]}

    def start(self) -> None:
        self.results.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        for leftover in self.scratch.iterdir():  # canaries of a run that was killed
            if leftover.name.startswith(".canary-"):
                leftover.unlink(missing_ok=True)
        for job_id in self.store.unfinished():  # accepted by an earlier run: run them now
            self.store.requeue(job_id)
            self._queue.append(job_id)
        for _ in range(self.jobs.workers):
            self._spawn()
        self._accepting = True
        self._thread = threading.Thread(target=self._run, name="exporter-dispatcher", daemon=True)
        self._thread.start()

    def _spawn(self) -> _Worker:
        self._numbers += 1
        w = _Worker(self._ctx, self._settings(), self._numbers)
        self._workers.append(w)
        return w

    def close(self, drain: bool = True) -> None:
        """Stop taking jobs; let running ones finish (up to the drain time-out); stop the workers.

        Queued jobs stay queued in the store and are run by the next start.
        """
        with self._lock:
            self._accepting = False
        if drain:
            end = time.monotonic() + self.jobs.drain_timeout
            while time.monotonic() < end:
                with self._lock:
                    if not any(w.job for w in self._workers):
                        break
                time.sleep(0.05)
        with self._lock:
            self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for w in list(self._workers):
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in list(self._workers):
            w.proc.join(timeout=3)
            if w.proc.is_alive():
                w.kill("shutdown")
                w.proc.join(timeout=3)
            w.conn.close()
        self._workers.clear()
        for s in (self._wake_r, self._wake_w):
            s.close()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # -- the protocol ----------------------------------------------------------------------
    def submit(self, spec: JobSpec) -> JobStatus:
        with self._lock:
            if not self._accepting:
                raise BackendUnavailable("the service is shutting down; try again shortly")
            if len(self._queue) >= self.jobs.queue_size:
                raise QueueFull(f"the export queue is full ({len(self._queue)} jobs waiting)",
                                self._retry_after())
            status = self.store.insert(spec)
            self._queue.append(spec.id)
        self._wake()
        positioned = self._with_position(status)
        assert positioned is not None  # the job was just stored
        return positioned

    def _retry_after(self) -> int:
        mean = (self.counters["job_seconds_sum"] / self.counters["job_seconds_count"]
                if self.counters["job_seconds_count"] else 2.0)
        return max(1, int(mean * len(self._queue) / max(1, self.jobs.workers) + 0.999))

    def _with_position(self, status: JobStatus | None) -> JobStatus | None:
        if status is not None and status.state == "queued":
            with self._lock:
                try:
                    status.queue_position = self._queue.index(status.id)
                except ValueError:
                    status.queue_position = 0  # being handed to a worker right now
        return status

    def status(self, job_id: str) -> JobStatus | None:
        return self._with_position(self.store.get(job_id))

    async def wait(self, job_id: str, timeout: float) -> JobStatus | None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._lock:
            status = self.store.get(job_id)
            if status is None or status.state in FINISHED:
                return self._with_position(status)
            self._waiters.setdefault(job_id, []).append((loop, fut))
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiting = self._waiters.get(job_id, [])
                if (loop, fut) in waiting:
                    waiting.remove((loop, fut))
                if not waiting:
                    self._waiters.pop(job_id, None)
        return self.status(job_id)

    def result(self, job_id: str) -> str | None:
        status = self.store.get(job_id)
        if status is None or status.state != "done" or not status.result_path:
            return None
        return status.result_path if os.path.exists(status.result_path) else None

    def cancel(self, job_id: str) -> JobStatus | None:
        with self._lock:
            status = self.store.get(job_id)
            if status is None or status.state in FINISHED:
                return self._with_position(status)
            if job_id in self._queue:
                self._queue.remove(job_id)
            self.store.cancelled(job_id)
            for w in self._workers:
                if w.job == job_id:
                    w.kill("cancelled")  # the dispatcher sees it end and starts another
            self.counters["cancelled"] += 1
            self._notify(job_id)
        self._wake()
        return self.store.get(job_id)

    def queue_depth(self) -> int:
        return len(self._queue)

    def readiness(self) -> tuple[bool, str]:
        with self._lock:
            if not self._accepting:
                return False, "the service is shutting down"
            if len(self._queue) >= self.jobs.queue_size:
                return False, f"the queue is full ({len(self._queue)} jobs waiting)"
            if not any(w.ready for w in self._workers):
                return False, "no worker is ready yet"
            age = time.time() - self._last_canary_ok
            if age > 3 * self.jobs.canary_interval + self.jobs.time_limit:
                why = f" ({self._canary_error})" if self._canary_error else ""
                return False, f"no canary job went through the pool in the last {age:.0f} s{why}"
        return True, "ready"

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = dict(self.counters)
            out["queue_depth"] = len(self._queue)
            out["running"] = sum(1 for w in self._workers if w.job)
            out["workers"] = len(self._workers)
            out["worker_rss_bytes"] = {w.proc.pid: w.rss for w in self._workers if w.ready}
            out["buckets"] = list(zip(BUCKETS, self.buckets))
        return out

    # -- the dispatcher thread -------------------------------------------------------------
    def _notify(self, job_id: str) -> None:
        for loop, fut in self._waiters.pop(job_id, []):
            loop.call_soon_threadsafe(_resolve, fut)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                handles: list[Any] = [self._wake_r]
                for w in self._workers:
                    handles += [w.conn, w.proc.sentinel]
            try:
                ready = wait_ready(handles, timeout=0.25)
            except OSError:
                ready = []
            with self._lock:
                if self._wake_r in ready:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                for w in list(self._workers):
                    if w.conn in ready:
                        self._read(w)
                for w in list(self._workers):
                    if not w.proc.is_alive():
                        self._ended(w)
                self._check_deadlines()
                self._assign()
                self._maybe_canary()
                self._maybe_sweep()

    def _read(self, w: _Worker) -> None:
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                self._message(w, msg)
        except (EOFError, OSError):
            pass  # the process ended; its sentinel says so

    def _message(self, w: _Worker, msg: tuple) -> None:
        kind = msg[0]
        if kind == "ready":
            w.ready = True
            w.rss = msg[2]
            if msg[3] is None:
                self._last_canary_ok = time.time()
                self._canary_error = None
            else:
                self._canary_error = f"warm-up failed: {msg[3]}"
            return
        w.idle_since = time.monotonic()
        if kind == "canary":
            w.canary = False
            w.rss = msg[2]
            if msg[1] is None:
                self._last_canary_ok = time.time()
                self._canary_error = None
            else:
                self._canary_error = f"canary failed: {msg[1]}"
            self._maybe_recycle(w)
            return
        job_id = msg[1]
        w.rss = msg[3]
        if w.job != job_id:
            return  # a cancelled job's late answer
        elapsed = time.monotonic() - w.job_started
        w.job = None
        w.jobs_run += 1
        status = self.store.get(job_id)
        if status is not None and status.state == "running":
            if kind == "done":
                result = msg[2]
                self.store.done(job_id, result["path"], result["size"],
                                {k: result.get(k) for k in ("source_pages", "rendered_pages", "entries",
                                                             "annotations", "warnings")})
                self.counters["done"] += 1
                self._last_canary_ok = time.time()  # a real job went through the pool
            else:
                self.store.failed(job_id, msg[2], {"status": msg[4]})
                self.counters["failed"] += 1
            self._observe(elapsed)
            self._notify(job_id)
        self._maybe_recycle(w)

    def _observe(self, seconds: float) -> None:
        self.counters["job_seconds_sum"] += seconds
        self.counters["job_seconds_count"] += 1
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[i] += 1

    def _maybe_recycle(self, w: _Worker) -> None:
        if w.job or w.canary:
            return
        reason = None
        if w.jobs_run >= self.jobs.max_jobs_per_worker:
            reason = "jobs"
        elif w.rss > self.jobs.max_rss_mb * 1024 * 1024:
            reason = "rss"
        if reason:
            w.ended = f"recycled ({reason})"
            try:
                w.conn.send(None)  # a clean exit; the dispatcher replaces it when it ends
            except (OSError, ValueError):
                w.kill(w.ended)
            self.counters[f"restarts_recycled_{reason}"] += 1

    def _ended(self, w: _Worker) -> None:
        """A worker process has ended: settle its job and start another in its place."""
        self._workers.remove(w)
        try:
            w.conn.close()
        except OSError:
            pass
        w.proc.join(timeout=1)
        code = w.proc.exitcode
        if w.ended is None:
            self.counters["restarts_died"] += 1
        elif w.ended in ("time limit", "cancelled"):
            self.counters[f"restarts_{w.ended.replace(' ', '_')}"] += 1
        if w.job:
            job_id = w.job
            status = self.store.get(job_id)
            if status is not None and status.state == "running":
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                if w.ended is None and status.attempts <= self.jobs.retries:
                    self.store.requeue(job_id, f"the worker ended ({how}) during attempt {status.attempts}; "
                                               f"started again")
                    self._queue.appendleft(job_id)
                    self.counters["retried"] += 1
                else:
                    reason = (w.ended if w.ended else f"the worker process ended ({how})")
                    self.store.failed(job_id, f"the render was stopped: {reason}; tried {status.attempts} "
                                              f"time{'s' if status.attempts != 1 else ''}")
                    self.counters["failed"] += 1
                    self._observe(time.monotonic() - w.job_started)
                    self._notify(job_id)
        if not self._stopping:
            self._spawn()

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for w in self._workers:
            if w.job and now > w.deadline and w.ended is None:
                job_id = w.job
                self.store.failed(job_id, f"the render did not finish within the time limit of "
                                          f"{self.jobs.time_limit:g} s and was stopped")
                self.counters["failed"] += 1
                self.counters["timeouts"] += 1
                self._observe(now - w.job_started)
                self._notify(job_id)
                w.kill("time limit")
            elif w.canary and now > w.deadline and w.ended is None:
                self._canary_error = "the canary job did not finish within the time limit"
                w.kill("time limit")

    def _assign(self) -> None:
        if not self._accepting:
            return  # draining: running jobs finish, queued ones wait for the next start
        # The worker that answered last is still collecting the garbage of its render (see
        # worker.collect_after_job) for a few milliseconds: one idle for longer starts at once.
        for w in sorted(self._workers, key=lambda w: w.idle_since):
            if not self._queue:
                return
            if not w.ready or w.job or w.canary or w.ended:
                continue
            job_id = self._queue.popleft()
            request = self.store.request(job_id)
            status = self.store.get(job_id)
            if request is None or status is None or status.state != "queued":
                continue
            ext = Path(status.filename).suffix or ".out"
            output = str(self.results / f"{job_id}{ext}")
            request["timeout"] = self.jobs.time_limit
            try:
                w.conn.send(("job", job_id, request, output))
            except (OSError, ValueError):
                self._queue.appendleft(job_id)
                continue
            self.store.running(job_id)
            w.job = job_id
            w.job_started = time.monotonic()
            w.deadline = w.job_started + self.jobs.time_limit + KILL_GRACE

    def _maybe_canary(self) -> None:
        now = time.time()
        if self._queue or not self._accepting or now - self._last_canary_sent < self.jobs.canary_interval:
            return
        if now - self._last_canary_ok < self.jobs.canary_interval:
            return  # a job or canary went through recently enough
        for w in self._workers:
            if w.ready and not w.job and not w.canary and not w.ended:
                try:
                    w.conn.send(("canary",))
                except (OSError, ValueError):
                    return
                w.canary = True
                w.deadline = time.monotonic() + self.jobs.time_limit + KILL_GRACE
                self._last_canary_sent = now
                return

    def _maybe_sweep(self) -> None:
        now = time.time()
        if now < self._next_sweep:
            return
        self._next_sweep = now + min(60.0, max(1.0, self.jobs.result_ttl / 4))
        for path in self.store.expire(now - self.jobs.result_ttl):
            try:
                os.unlink(path)
            except OSError:
                pass


def _resolve(fut: asyncio.Future[None]) -> None:
    """Wake a waiter (on its own event loop) unless it already gave up."""
    if not fut.done():
        fut.set_result(None)
