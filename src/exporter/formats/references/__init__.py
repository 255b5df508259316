"""``ris``, ``bibtex``, ``biblatex``, ``csl-json``: citations for reference managers (Zotero,
EndNote) and LaTeX.

This module registers the four formats; what their writers share is in :mod:`.common`, and
what Zotero needs where its item types have no field in :mod:`.zotero`.  The writers
(:mod:`.ris`, :mod:`.bibtex`, :mod:`.biblatex`, :mod:`.csl_json`) are imported only when a format
renders.  ``ris``, ``bibtex`` and ``csl-json`` are written as Zotero's import translators read
them; ``biblatex`` is for Biber.  They stream: one record is built, written and dropped at a time, so memory does not
grow with the number of entries.  None of them reproduces archive material, so the print limit
does not apply.

Every value comes from the one CSL-JSON mapping (:func:`exporter.csl.entry_to_csl`).  The
writers read the same fields straight from the :class:`~exporter.model.Entry` (calling the
mapping for every entry costs more than writing the record); the tests check, field by field,
that what they write equals what is written from the mapping.  See ``docs/references.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import BinaryIO

from ... import hookimpl
from ...model import Document
from ...registry import Format, RenderInfo


def _info(fallbacks: list[str], fmt: str) -> RenderInfo | None:
    if not fallbacks:
        return None
    return RenderInfo(warnings=[f"{fmt}: volume {v} was written through the CSL mapping (slower): the "
                                f"writer's direct path no longer matches exporter.csl.entry_to_csl"
                                for v in dict.fromkeys(fallbacks)])


def _renderer(fmt: str, module: str, writer: str) -> Callable[[Document, BinaryIO], RenderInfo | None]:
    """The render function of ``fmt``: imports ``writer`` from ``module`` on first use (the writers
    are not loaded with the plugins) and reports the volumes it wrote through the mapping."""

    def render(doc: Document, out: BinaryIO) -> RenderInfo | None:
        write = getattr(import_module(f".{module}", __name__), writer)
        fallbacks: list[str] = []
        write(doc.entries, out, fallbacks)
        return _info(fallbacks, fmt)

    render.__name__ = render.__qualname__ = f"render_{module}"
    return render


render_ris = _renderer("ris", "ris", "write_ris")
render_bibtex = _renderer("bibtex", "bibtex", "write_bibtex")
render_biblatex = _renderer("biblatex", "biblatex", "write_biblatex")
render_csl_json = _renderer("csl-json", "csl_json", "write_csl_json")


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="ris", media_type="application/x-research-info-systems", extension="ris",
                    render=render_ris, material=False,
                    description="RIS citations for Zotero, EndNote, Mendeley (UTF-8, CRLF)"))
    register(Format(name="bibtex", media_type="application/x-bibtex", extension="bib",
                    render=render_bibtex, material=False,
                    description="BibTeX citations as Zotero imports them (@letter, @unpublished)"))
    register(Format(name="biblatex", media_type="application/x-bibtex", extension="bib",
                    render=render_biblatex, material=False,
                    description="BibLaTeX citations for Biber (@letter, @unpublished, @collection per volume)"))
    register(Format(name="csl-json", media_type="application/vnd.citationstyles.csl+json",
                    extension="json", render=render_csl_json, material=False,
                    description="CSL-JSON array of the entries' citation records"))
