"""Paths of the project's bundled assets (stylesheets in ``styles/``, templates in the package)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STYLES_DIR = PACKAGE_DIR.parents[1] / "styles"


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
