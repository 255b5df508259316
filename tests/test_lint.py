"""ruff is clean on the whole repository's Python and mypy on ``src/`` (configured in pyproject.toml;
both are test extras)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean_on_src():
    proc = _run("ruff", "check", "--no-cache", "src")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_is_clean_on_tests_benchmarks_scripts_and_plugins():
    """The code a maintainer reads beside the package is held to the same rules."""
    proc = _run("ruff", "check", "--no-cache", "tests", "bench", "scripts", "plugins")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_mypy_is_clean_on_src():
    """Strict on the model, the engine, the registry and the hook specifications (pyproject.toml)."""
    proc = _run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_strictness_covers_the_core_api():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    strict = next(o for o in config["overrides"] if o.get("disallow_untyped_defs"))
    assert set(strict["module"]) >= {"exporter.model", "exporter.engine", "exporter.engine.*", "exporter.registry",
                                     "exporter.hookspec"}
    assert all(strict[flag] for flag in ("disallow_any_generics", "disallow_untyped_calls", "warn_return_any",
                                         "disallow_incomplete_defs", "strict_equality"))
