"""The project's bundled assets: package data of ``exporter`` (see :func:`asset_dir`).

Everything a feature needs ships inside the ``exporter`` package, so an installed wheel works
without a source checkout beside it:

* ``styles/``     stylesheets (``pdf.css``, ``html.css``) and the project's CSL styles (``*.csl``)
* ``templates/``  Jinja templates of the html and pdf formats
* ``contexts/``   the archive's JSON-LD context
* ``sample/``     the bundled sample corpus (a volume, ``archive.json``, ``annotations/``)
"""

from __future__ import annotations

import atexit
from functools import cache
from pathlib import Path

__all__ = ["PACKAGE_DIR", "STYLES_DIR", "TEMPLATES_DIR", "SAMPLE_DIR", "CONTEXTS_DIR", "asset_dir",
           "read_style", "jinja_env"]

_extracted: Path | None = None
_HERE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The folder ``name`` of the installed ``exporter`` package, as a real path.

    A package installed on a file system (a wheel, an editable install) has its data beside its
    modules: that folder is what :func:`importlib.resources.files` gives, and it is used without
    importing :mod:`importlib.resources` (which costs start-up time every command would pay:
    it imports ``tempfile``, ``random`` and ``zipfile``).  Should the package be imported from a
    zip archive, the folder is read through :mod:`importlib.resources` and copied once to a
    temporary folder that lives until the process ends.
    """
    beside = _HERE / name
    if beside.is_dir():
        return beside
    from importlib import resources

    ref = resources.files("exporter").joinpath(name)
    if isinstance(ref, Path):
        return ref.resolve()
    return _extract(ref, name)


def _extract(ref, name: str) -> Path:
    """Copy the package-data folder ``ref`` (a Traversable inside an archive) to a temporary folder
    removed when the process ends (Python 3.11's ``as_file`` takes files only)."""
    global _extracted
    import shutil
    import tempfile

    if _extracted is None:
        _extracted = Path(tempfile.mkdtemp(prefix="exporter-data-"))
        atexit.register(shutil.rmtree, _extracted, True)
    target = _extracted / name

    def copy(src, dst: Path) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        for child in src.iterdir():
            if child.is_dir():
                copy(child, dst / child.name)
            else:
                (dst / child.name).write_bytes(child.read_bytes())

    if not target.exists():
        copy(ref, target)
    return target


PACKAGE_DIR = _HERE
STYLES_DIR = asset_dir("styles")
TEMPLATES_DIR = asset_dir("templates")
CONTEXTS_DIR = asset_dir("contexts")
SAMPLE_DIR = asset_dir("sample")


@cache
def read_style(name: str) -> str:
    """Text of a stylesheet in ``styles/`` (cached: read once per process)."""
    return (STYLES_DIR / name).read_text(encoding="utf-8")


@cache
def jinja_env():
    """The autoescaping Jinja environment for the project's templates (built once)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from .view import inline_html

    env.filters["inlines"] = inline_html
    return env
