"""``epub``: an EPUB 3 output format, shipped as a third-party plugin of archive-exporter.

The exporter finds this module through the ``exporter`` entry-point group (see this plugin's
``pyproject.toml``); nothing in the exporter names it.  It uses only the public plugin interface
(:mod:`exporter.hookspec`, :mod:`exporter.registry`) and the document model
(:mod:`exporter.model`).  ebooklib is imported only when a book is rendered, so listing formats
stays fast.
"""

from __future__ import annotations

from typing import BinaryIO

from exporter import hookimpl
from exporter.model import Document
from exporter.registry import Format

__version__ = "0.1.0"

MEDIA_TYPE = "application/epub+zip"


def render(doc: Document, out: BinaryIO) -> None:
    """Write ``doc`` to ``out`` as an EPUB 3 book (one chapter per entry)."""
    from .book import write_epub

    write_epub(doc, out)


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(
        name="epub", media_type=MEDIA_TYPE, extension="epub", render=render,
        # The book reproduces the entries' text: the engine's print limit and terms apply.
        material=True,
        # Per-entry citations follow --style when one is given.
        citations=True,
        description="EPUB 3 e-book: one chapter per entry, notes as pop-up footnotes",
    ))
