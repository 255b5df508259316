"""The project's bundled assets, found as package data with :mod:`importlib.resources`.

Everything a feature needs ships inside the ``exporter`` package, so an installed wheel works
without a source checkout beside it:

* ``styles/``     stylesheets (``pdf.css``, ``html.css``) and the project's CSL styles (``*.csl``)
* ``templates/``  Jinja templates of the html and pdf formats
* ``contexts/``   the archive's JSON-LD context
* ``sample/``     the bundled sample corpus (a volume, ``archive.json``, ``annotations/``)
"""

from __future__ import annotations

import atexit
import contextlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["PACKAGE_DIR", "STYLES_DIR", "TEMPLATES_DIR", "SAMPLE_DIR", "CONTEXTS_DIR", "asset_dir",
           "read_style", "jinja_env"]

_extracted: contextlib.ExitStack | None = None


def asset_dir(name: str) -> Path:
    """The folder ``name`` of the installed ``exporter`` package, as a real path.

    A package installed on a file system (a wheel, an editable install) gives its own folder.
    Should the package be imported from a zip archive, the folder is extracted once to a
    temporary folder that lives until the process ends.
    """
    ref = resources.files("exporter").joinpath(name)
    if isinstance(ref, Path):
        return ref.resolve()
    global _extracted
    if _extracted is None:  # first extraction: the copies are removed when the process ends
        _extracted = contextlib.ExitStack()
        atexit.register(_extracted.close)
    return Path(_extracted.enter_context(resources.as_file(ref))).resolve()


PACKAGE_DIR = asset_dir(".")
STYLES_DIR = asset_dir("styles")
TEMPLATES_DIR = asset_dir("templates")
CONTEXTS_DIR = asset_dir("contexts")
SAMPLE_DIR = asset_dir("sample")


@lru_cache(maxsize=None)
def read_style(name: str) -> str:
    """Text of a stylesheet in ``styles/`` (cached: read once per process)."""
    return (STYLES_DIR / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
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
