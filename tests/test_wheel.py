"""The wheel is the product: build the sdists and wheels, install them into a fresh venv, and run
the flagship features from there (``scripts/wheel-smoke.sh``), with no checkout on sys.path."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(WORK=str(work), PYTHON=sys.executable)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "wheel-smoke.sh")], capture_output=True, text=True,
                          env=env, timeout=1500)
    return work, proc


def test_smoke_script_passes_from_the_wheels(smoke):
    work, proc = smoke
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for what in ("exporter toc (the bundled sample)", "exporter styles lists the house style",
                 "exporter cite --style archival-documents",
                 "exporter styles --search and the bibliography format (the style index)", "pdf", "html", "docx",
                 "epub (the plugin's own wheel)", "check_format on the installed epub plugin",
                 "exporter serve answers the reader's page"):
        assert f"wheel-smoke: {what}\n" in proc.stderr
    assert "check_format epub: registration, export, media type, terms, print limit" in proc.stdout
    assert "reader's page: /, an entry page and its assets served from the wheel" in proc.stdout
    assert "wheel-smoke: ok:" in proc.stderr
    installed = (work / "venv").glob("lib/python*/site-packages/exporter")
    assert [p for p in installed if p.is_dir()], "the package is not installed in the scratch venv"


def test_wheel_carries_the_package_data(smoke):
    work, proc = smoke
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = (work / "dist").glob("archive_exporter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("exporter/styles/pdf.css", "exporter/styles/html.css", "exporter/styles/archival-documents.csl",
                 "exporter/templates/pdf.html.j2", "exporter/templates/html.html.j2",
                 "exporter/contexts/exporter.jsonld", "exporter/sample/dolgorukov-diaries-1918.xml",
                 "exporter/sample/archive.json", "exporter/sample/annotations/irina.jsonld",
                 "exporter/citations/data/style-index.tsv",
                 "exporter/service/reader/templates/entry.html", "exporter/service/reader/static/reader.js",
                 "exporter/service/reader/static/reader.css"):
        assert data in names, f"{data} is not in {wheel.name}"
    assert not [n for n in names if n.startswith(("tests/", "corpus/", "styles/"))]
