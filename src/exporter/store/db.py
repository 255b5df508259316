"""Connecting to the store's database: SQLite (embedded default) or PostgreSQL.

SQLite runs in WAL mode (readers never wait for the writer) with a busy time-out, and every
write transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two
writers queue on the busy time-out instead of failing when a read transaction tries to become a
write one.  A write that still meets "database is locked", or a PostgreSQL serialization
failure, is retried a few times before the caller sees an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import UsageError

#: Seconds SQLite waits for a lock before giving up (then the write is retried).
SQLITE_BUSY_TIMEOUT = 30.0
WRITE_RETRIES = 5


def normalise_url(url: str) -> str:
    """A database URL from what a user gives: a URL, or a file path (an SQLite file)."""
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser().resolve())
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the store"


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise UsageError(f"store {url}: folder {folder} does not exist")
    # As many pooled connections as the service has request threads at once: a connection
    # opened past the pool is closed after use, and opening one costs its PRAGMAs again.
    in_memory = not parsed.database or parsed.database == ":memory:"  # one connection, kept
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
                           **({} if in_memory else {"pool_size": 20, "max_overflow": 20}))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling would BEGIN lazily (deferred); take it over.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The engines and session factories of one store URL (a reader and a writer)."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.reader = _sqlite_engine(self.url, immediate=False)
            self.writer = _sqlite_engine(self.url, immediate=True)
        elif self.url.startswith("postgresql"):
            # No pre-ping (a round trip before every statement's connection): a connection the
            # server dropped is found by the failing write, which is retried on a fresh one.
            self.reader = self.writer = create_engine(self.url, pool_size=20, max_overflow=20)
        else:
            raise UsageError(f"store {describe(self.url)}: only sqlite:/// and postgresql:// stores are supported")
        self._read = sessionmaker(self.reader, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)
        # SQLite has one writer at a time, and a writer that finds the lock taken polls it with
        # growing sleeps (up to 100 ms): this process's writers queue on a lock instead, so
        # the busy time-out is only met by other processes (a command line run meanwhile).
        self._writing = threading.RLock() if self.is_sqlite else None
        self._group_lock = threading.Lock()
        self._group: list[_Pending] = []
        self._leading = False

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def write(self, work, retries: int = WRITE_RETRIES):
        """Run ``work(session)`` in one write transaction and return its result.

        Retried (with a fresh session) when the database reports a lock or serialization
        conflict, so ``work`` must have no effect outside the session.
        """
        def run() -> object:
            with self._write() as session, session.begin():
                return work(session)
        return self._retrying(run, retries)

    def write_core(self, work: Callable[[Connection], object], retries: int = WRITE_RETRIES):
        """:meth:`write` on a Core connection, without an ORM session: for the hot writes,
        where the session's bookkeeping costs more than the statements."""
        def run() -> object:
            with self.writer.begin() as conn:
                return work(conn)
        return self._retrying(run, retries)

    def write_grouped(self, work: Callable[[Connection], object], finish: Callable[[Connection], None]):
        """:meth:`write_core` for writes that may share a transaction (group commit).

        Writes that arrive while one is being committed wait, and the next of them commits
        them all in one transaction, ending with ``finish(conn)`` once (the revision bump).
        A commit is the expensive part of a small write (a flush to disk, and the revision
        row's lock held until it is done), so 16 writers at once cost a few commits, not 16.
        If a grouped transaction fails, each of its writes is run again alone, so one bad
        write fails only its own caller.
        """
        item = _Pending(work)
        with self._group_lock:
            self._group.append(item)
            lead = not self._leading
            self._leading = True
        if not lead:
            item.done.wait()
            if not item.lead:
                return item.outcome()
        # This thread commits everything waiting (its own write included), then hands over.
        with self._group_lock:
            batch, self._group = self._group, []
        try:
            self._commit_group(batch, finish)
        finally:
            with self._group_lock:
                if self._group:
                    self._group[0].lead = True
                    self._group[0].done.set()
                else:
                    self._leading = False
            for other in batch:
                other.done.set()
        return item.outcome()

    def _commit_group(self, batch: list[_Pending], finish: Callable[[Connection], None]) -> None:
        def run() -> list[object]:
            with self.writer.begin() as conn:
                results = [one.work(conn) for one in batch]
                finish(conn)
            return results
        try:
            results = self._retrying(run, WRITE_RETRIES)
        except BaseException as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for one in batch:  # alone, so that only the bad one fails

                def alone(conn: Connection, one: _Pending = one) -> object:
                    result = one.work(conn)
                    finish(conn)
                    return result
                try:
                    one.result = self.write_core(alone)
                except BaseException as exc_one:
                    one.error = exc_one
            return
        for one, result in zip(batch, results):
            one.result = result

    def _retrying(self, run: Callable[[], object], retries: int):
        for attempt in range(retries + 1):
            try:
                if self._writing is None:
                    return run()
                with self._writing:
                    return run()
            except (OperationalError, DBAPIError) as exc:
                if attempt == retries or not _retryable(exc):
                    raise
                time.sleep(0.01 * 2 ** attempt)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()


class _Pending:
    """One write waiting for a group commit (see :meth:`Database.write_grouped`)."""

    __slots__ = ("work", "done", "lead", "result", "error")

    def __init__(self, work: Callable[[Connection], object]) -> None:
        self.work = work
        self.done = threading.Event()
        #: Set by the previous committer: this thread commits the next group.
        self.lead = False
        self.result: object = None
        self.error: BaseException | None = None

    def outcome(self) -> object:
        if self.error is not None:
            raise self.error
        return self.result


def _retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None)
    if exc.connection_invalidated:  # the server closed it (restarted): a fresh one is taken
        return True
    return ("database is locked" in text or "database is busy" in text
            or code in ("40001", "40P01"))
