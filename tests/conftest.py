"""Shared fixtures: the sample corpus, the FRUS volume, engines and the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporter.assets import STYLES_DIR
from exporter.sources.corpus import default_corpus
from support.celery_workers import redis_server  # noqa: F401 -- one redis-server per session, for every module

ROOT = Path(__file__).resolve().parents[1]
#: The bundled sample corpus, where the installed package has it (package data).
SAMPLE = default_corpus()
#: The project's stylesheets and CSL styles (package data).
STYLES = STYLES_DIR
#: Test data kept with the tests, so that a fresh clone passes on its own: the FRUS volume
#: (public domain) and the CSL and Web Annotation schemas (see tests/data/README.md).
DATA = ROOT / "tests" / "data"
FRUS = DATA / "corpus" / "frus1918Russiav03.xml"
VALIDATORS = DATA / "validators"
EXPORTER = Path(sys.executable).parent / "exporter"


@pytest.fixture(scope="session", autouse=True)
def _corpus_index_dir(tmp_path_factory):
    """Corpus indexes (see exporter.sources.lazy) go to a folder of the test session, not the
    user's cache; a test that needs its own sets EXPORTER_INDEX_DIR itself."""
    if "EXPORTER_INDEX_DIR" in os.environ:
        yield
        return
    os.environ["EXPORTER_INDEX_DIR"] = str(tmp_path_factory.mktemp("corpus-index"))
    try:
        yield
    finally:
        os.environ.pop("EXPORTER_INDEX_DIR", None)


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def frus_path() -> Path:
    if not FRUS.exists():
        pytest.fail(f"the FRUS volume is missing at {FRUS}")
    return FRUS


@pytest.fixture(scope="session")
def engine():
    """One engine for the session (plugins and loaded corpora are cached inside it)."""
    from exporter.engine import Engine

    return Engine()


@pytest.fixture(scope="session")
def sample(engine):
    return engine.load(SAMPLE)


@pytest.fixture(scope="session")
def frus(engine, frus_path):
    return engine.load(frus_path)


def run_cli(*args: str, input: bytes | None = None, env: dict | None = None, cwd: Path | None = None):
    """Run the installed ``exporter`` console script; returns CompletedProcess (bytes)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    exe = str(EXPORTER) if EXPORTER.exists() else shutil.which("exporter")
    assert exe, "the exporter console script is not installed (pip install -e .)"
    return subprocess.run([exe, *args], input=input, capture_output=True, env=full_env,
                          cwd=cwd, timeout=600)


@pytest.fixture
def cli():
    return run_cli


# The store's database fixtures (SQLite and a throwaway PostgreSQL server).
from support.store_fixtures import postgres_server, sample_store, store, store_url  # noqa: E402,F401
