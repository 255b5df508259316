"""Job state, the audit log of prints and quota accounting, in one SQLite file (WAL).

One connection, guarded by a lock: the service process is the only writer.  A job's row is
written before the service answers 202, so a restart finds every accepted job.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .jobs import JobSpec, JobStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    owner TEXT,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    result_path TEXT,
    size INTEGER,
    expired INTEGER NOT NULL DEFAULT 0,
    info TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    reader TEXT NOT NULL,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    format TEXT NOT NULL,
    source_pages INTEGER NOT NULL,
    pages TEXT NOT NULL,
    terms_accepted INTEGER NOT NULL,
    selection TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_reader_day ON audit(reader, day);
"""

_COLUMNS = ("id", "owner", "state", "progress", "error", "created", "started", "finished", "attempts",
            "filename", "media_type", "result_path", "size", "expired", "info")


class QuotaSpent(Exception):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def utc_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def seconds_to_midnight(ts: float) -> int:
    day = datetime.fromtimestamp(ts, timezone.utc)
    return max(1, 86400 - (day.hour * 3600 + day.minute * 60 + day.second))


class JobStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- accepting -------------------------------------------------------------------------
    def insert(self, spec: JobSpec) -> JobStatus:
        """Record an accepted job (and, for prints, its audit row) in one transaction.

        With ``spec.quota`` > 0, a print that would take the reader past that many pages today
        (failed and cancelled prints not counted) raises :class:`QuotaSpent` and records nothing.
        """
        now = time.time()
        day = utc_day(now)
        quota, reader = spec.quota, spec.reader
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if spec.material and quota > 0:
                    used = db.execute(
                        "SELECT COALESCE(SUM(a.source_pages), 0) FROM audit a JOIN jobs j ON j.id = a.job "
                        "WHERE a.reader = ? AND a.day = ? AND j.state NOT IN ('failed', 'cancelled')",
                        (reader, day)).fetchone()[0]
                    if used + spec.source_pages > quota:
                        raise QuotaSpent(
                            f"daily print quota spent: {used} of {quota} pages printed today, this print "
                            f"has {spec.source_pages}", seconds_to_midnight(now))
                db.execute(
                    "INSERT INTO jobs (id, owner, state, request, filename, media_type, created) "
                    "VALUES (?, ?, 'queued', ?, ?, ?, ?)",
                    (spec.id, spec.owner, json.dumps(spec.request), spec.filename, spec.media_type, now))
                if spec.material:
                    req = spec.request
                    selection = {k: req.get(k) for k in ("entries", "range", "folder", "dates", "all",
                                                          "pages", "layer", "annotations") if req.get(k)}
                    db.execute(
                        "INSERT INTO audit (job, reader, at, day, format, source_pages, pages, terms_accepted, "
                        "selection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (spec.id, reader, datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds"),
                         day, req.get("format", ""), spec.source_pages, json.dumps(spec.pages),
                         int(bool(req.get("accept_terms"))), json.dumps(selection)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self.get(spec.id)  # type: ignore[return-value]

    # -- reading ---------------------------------------------------------------------------
    def get(self, job_id: str) -> JobStatus | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        data = dict(zip(_COLUMNS, row))
        info = json.loads(data.pop("info") or "{}")
        expired = bool(data.pop("expired"))
        return JobStatus(**data, result_expired=expired, info=info)

    def request(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT request FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def unfinished(self) -> list[str]:
        """Jobs accepted and not finished, oldest first (what a restart must run)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq").fetchall()
        return [r[0] for r in rows]

    def audit_rows(self, reader: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT job, reader, at, format, source_pages, pages, terms_accepted, selection FROM audit"
        args: tuple = ()
        if reader is not None:
            sql += " WHERE reader = ?"
            args = (reader,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        keys = ("job", "reader", "at", "format", "source_pages", "pages", "terms_accepted", "selection")
        return [dict(zip(keys, r)) for r in rows]

    # -- transitions -----------------------------------------------------------------------
    def _update(self, job_id: str, sql: str, args: tuple) -> None:
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {sql} WHERE id = ?", (*args, job_id))

    def running(self, job_id: str) -> None:
        self._update(job_id, "state = 'running', started = ?, attempts = attempts + 1, progress = 0.1",
                     (time.time(),))

    def requeue(self, job_id: str, note: str | None = None) -> None:
        self._update(job_id, "state = 'queued', progress = 0, error = ?", (note,))

    def done(self, job_id: str, path: str, size: int, info: dict[str, Any]) -> None:
        self._update(job_id, "state = 'done', finished = ?, progress = 1, result_path = ?, size = ?, "
                     "error = NULL, info = ?", (time.time(), path, size, json.dumps(info)))

    def failed(self, job_id: str, error: str, info: dict[str, Any] | None = None) -> None:
        self._update(job_id, "state = 'failed', finished = ?, error = ?, info = ?",
                     (time.time(), error, json.dumps(info or {"status": 500})))

    def cancelled(self, job_id: str) -> None:
        self._update(job_id, "state = 'cancelled', finished = ?", (time.time(),))

    def expire(self, before: float) -> list[str]:
        """Mark finished results older than ``before`` expired; return their file paths."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, result_path FROM jobs WHERE state = 'done' AND expired = 0 AND finished < ?",
                (before,)).fetchall()
            self._db.executemany("UPDATE jobs SET expired = 1, result_path = NULL WHERE id = ?",
                                 [(r[0],) for r in rows])
        return [r[1] for r in rows if r[1]]
