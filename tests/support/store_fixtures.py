"""Fixtures for the store tests: one throwaway PostgreSQL server for the session, and a fresh
database on SQLite and on PostgreSQL for each test (``store_url`` is parametrized over both).

The server is started by ``scripts/postgres.sh`` (Debian's ``postgresql``) and stopped at the end
of the session.  If it cannot be started the PostgreSQL tests fail; they are never skipped.
``EXPORTER_TEST_POSTGRES=postgresql://…`` uses an existing server instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a running PostgreSQL server's maintenance database."""
    given = os.environ.get("EXPORTER_TEST_POSTGRES")
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="exporter-pg-")
    script = ROOT / "scripts" / "postgres.sh"
    started = subprocess.run(["bash", str(script), "start", folder], capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"PostgreSQL could not be started for the store tests: {started.stderr.strip()[-800:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(script), "stop", folder], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def new_pg_database(server_url: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(server_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """A fresh, empty database URL: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = new_pg_database(server)
    try:
        yield url
    finally:
        drop_pg_database(server, url)


@pytest.fixture
def store(store_url):
    """An initialised, empty store on each backend."""
    from exporter.store import Store

    s = Store(store_url)
    s.init()
    yield s
    s.close()


@pytest.fixture
def sample_store(store):
    """The store with the bundled sample imported."""
    from exporter.sources.corpus import default_corpus

    store.import_corpus(default_corpus())
    return store
