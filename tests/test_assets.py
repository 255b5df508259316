"""Package data is found where importlib.resources finds it: beside the modules on a file system,
and extracted from the archive when the package is imported from a zip file."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

from exporter import assets

NAMES = ("styles", "templates", "contexts", "sample", "schemas")


def test_folders_are_importlib_resources_folders():
    root = resources.files("exporter")
    for name in NAMES:
        assert assets.asset_dir(name) == Path(str(root.joinpath(name))).resolve()
    assert (assets.STYLES_DIR / "archival-documents.csl").is_file()
    assert (assets.SAMPLE_DIR / "archive.json").is_file() and (assets.SAMPLE_DIR / "annotations").is_dir()


def test_package_imported_from_a_zip_finds_its_data(tmp_path):
    archive = tmp_path / "exporter.zip"
    package = assets.PACKAGE_DIR
    with zipfile.ZipFile(archive, "w") as zf:
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, Path("exporter") / path.relative_to(package))
    script = ("import sys, exporter.assets as a; assert a.__file__.startswith(sys.argv[1]), a.__file__;"
              "assert (a.SAMPLE_DIR / 'archive.json').read_text(); assert (a.STYLES_DIR / 'pdf.css').is_file();"
              "assert not str(a.SAMPLE_DIR).startswith(sys.argv[1]); print(a.read_style('html.css')[:20])")
    res = subprocess.run([sys.executable, "-c", script, str(archive)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(archive), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, timeout=120)
    assert res.returncode == 0 and res.stdout.strip(), res.stderr[-2000:]
