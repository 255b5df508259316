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


def render_ris(doc: Document, out: BinaryIO) -> RenderInfo | None:
    from .ris import write_ris

    fallbacks: list[str] = []
    write_ris(doc.entries, out, fallbacks)
    return _info(fallbacks, "ris")


def render_bibtex(doc: Document, out: BinaryIO) -> RenderInfo | None:
    from .bibtex import write_bibtex

    fallbacks: list[str] = []
    write_bibtex(doc.entries, out, fallbacks)
    return _info(fallbacks, "bibtex")


def render_biblatex(doc: Document, out: BinaryIO) -> RenderInfo | None:
    from .biblatex import write_biblatex

    fallbacks: list[str] = []
    write_biblatex(doc.entries, out, fallbacks)
    return _info(fallbacks, "biblatex")


def render_csl_json(doc: Document, out: BinaryIO) -> RenderInfo | None:
    from .csl_json import write_csl_json

    fallbacks: list[str] = []
    write_csl_json(doc.entries, out, fallbacks)
    return _info(fallbacks, "csl-json")


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
