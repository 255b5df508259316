"""The job-backend protocol, and the records that cross it.

The service talks to a backend only through :class:`JobBackend`; the embedded one is
:class:`exporter.service.local.LocalBackend` (worker processes on this machine).  Another backend
(a task queue on other machines) implements the same methods.  A backend keeps job state where a
restart finds it: a job accepted (``submit`` returned) is either finished or run again later.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")


class QueueFull(Exception):
    """The queue is at its bound; ``retry_after`` is a hint in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendUnavailable(Exception):
    """The backend cannot take or report jobs now (shutting down, its store unreachable)."""


def new_job_id() -> str:
    """An unguessable job id (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@dataclass
class JobSpec:
    """What to run: an :class:`~exporter.engine.ExportRequest` as a dict, and who asked."""

    id: str
    owner: str | None
    request: dict[str, Any]
    #: The file name offered to the reader (``Content-Disposition``).
    filename: str
    media_type: str
    #: Audit details for prints (empty for citation and annotation formats).
    source_pages: int = 0
    pages: list[list[str]] = field(default_factory=list)
    material: bool = False
    #: Who to charge in the audit log and the quota ("(anonymous)" for readers without a token).
    reader: str = ""
    #: Pages per day this reader may print (0: no quota); checked when the job is recorded.
    quota: int = 0


@dataclass
class JobStatus:
    id: str
    owner: str | None
    state: str
    progress: float = 0.0
    #: Jobs ahead of this one (0 = next); ``None`` once it is no longer queued.
    queue_position: int | None = None
    error: str | None = None
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    filename: str = ""
    media_type: str = ""
    #: Where the finished file is on the service's disk (never shown to readers).
    result_path: str | None = None
    size: int | None = None
    result_expired: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class JobBackend(Protocol):
    """What the service needs from a job backend."""

    def start(self) -> None:
        """Start workers and resume the jobs a previous run accepted but did not finish."""

    def submit(self, spec: JobSpec) -> JobStatus:
        """Queue a job; raise :class:`QueueFull` when the queue is at its bound."""

    def status(self, job_id: str) -> JobStatus | None:
        """The job's state, or ``None`` if there is no such job."""

    async def wait(self, job_id: str, timeout: float) -> JobStatus | None:
        """Wait up to ``timeout`` seconds for the job to finish; its status either way."""

    def result(self, job_id: str) -> str | None:
        """The path of the finished job's file, or ``None`` (not done, or expired)."""

    def cancel(self, job_id: str) -> JobStatus | None:
        """Cancel a queued job, or stop a running one; finished jobs are left as they are."""

    def queue_depth(self) -> int:
        """Jobs accepted and not yet started."""

    def readiness(self) -> tuple[bool, str]:
        """Whether jobs go through now (a recent canary passed, the queue has room), and why not."""

    def stats(self) -> dict[str, float]:
        """Counters for the metrics: jobs done/failed, job seconds, worker restarts, …"""

    def close(self, drain: bool = True) -> None:
        """Stop taking jobs; with ``drain``, let running jobs finish (queued ones stay queued)."""
