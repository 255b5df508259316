"""Built-in annotation exports: ``annotations-jsonld``, ``annotations-csv``, ``annotations-md``.

They reproduce readers' annotations and the quoted passages, not archive material, so the
print limit and the terms of use do not apply (``material=False``).  The writers live in
:mod:`.jsonld`, :mod:`.csv` and :mod:`.markdown` and are imported when a
format runs, so that listing formats stays fast.
"""

from __future__ import annotations

from typing import BinaryIO

from ... import hookimpl
from ...model import Document
from ...registry import Format, RenderInfo


def render_jsonld(doc: Document, out: BinaryIO) -> RenderInfo:
    from .jsonld import render

    return render(doc, out)


def render_csv(doc: Document, out: BinaryIO) -> RenderInfo:
    from .csv import render

    return render(doc, out)


def render_md(doc: Document, out: BinaryIO) -> RenderInfo:
    from .markdown import render

    return render(doc, out)


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="annotations-jsonld", media_type="application/ld+json", extension="jsonld",
                    render=render_jsonld, material=False,
                    description="Annotations as a W3C Web Annotation collection (JSON-LD)"))
    register(Format(name="annotations-csv", media_type="text/csv", extension="csv",
                    render=render_csv, material=False,
                    description="Annotations as CSV, one row per annotation (spreadsheet-safe)"))
    register(Format(name="annotations-md", media_type="text/markdown", extension="md",
                    render=render_md, material=False, citations=True,
                    description="Annotations as Markdown, grouped by entry, with links to the passages"))
