"""Shared fixtures: the sample corpus, the FRUS volume, engines and the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus"
SHARED = ROOT.parent / "shared"
FRUS = SHARED / "corpus" / "frus1918Russiav03.xml"
VALIDATORS = SHARED / "validators"
EXPORTER = Path(sys.executable).parent / "exporter"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def frus_path() -> Path:
    if not FRUS.exists():
        pytest.fail(f"the FRUS volume is missing at {FRUS}: ../shared must sit beside the checkout")
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
from store_fixtures import postgres_server, sample_store, store, store_url  # noqa: E402,F401
