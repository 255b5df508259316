"""``ris``, ``bibtex``, ``csl-json``: citations for reference managers (Zotero, EndNote, LaTeX).

This module registers the three formats and holds what their writers share.  The writers
(:mod:`.ris`, :mod:`.bibtex`, :mod:`.csl_json`) are imported only when a format renders.  They
stream: one record is built, written and dropped at a time, so memory does not grow with the
number of entries.  None of them reproduces archive material, so the print limit does not apply.

Every value comes from the one CSL-JSON mapping (:func:`exporter.csl.entry_to_csl`).  RIS and
BibTeX read the same fields straight from the :class:`~exporter.model.Entry` (calling the
mapping for every entry costs more than writing the record); the tests check, field by field,
that what they write equals the mapping.  See ``docs/references.md``.
"""

from __future__ import annotations

from typing import BinaryIO

from .. import hookimpl
from ..model import Document
from ..registry import Format, RenderInfo

#: Every character that ``str.splitlines`` (and so most line-based readers) treats as a line
#: boundary.  No RIS or BibTeX value may contain one: each becomes a space.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

#: How many records a writer joins into one ``write`` call (bounded memory, few syscalls).
CHUNK = 512


def volume_info(cache: dict, entry, build) -> tuple[tuple, bool]:
    """``(build(entry), True)`` the first time ``entry``'s volume is seen, else the kept value and
    False.  Kept by the volume's identity (checked against ``info[0]``, which ``build`` sets to the
    volume), at most 256 volumes at a time."""
    vol = entry.volume
    info = cache.get(id(vol))
    if info is not None and info[0] is vol:
        return info, False
    if len(cache) > 256:
        cache.clear()
    info = cache[id(vol)] = build(entry)
    return info, True


def page_bounds(entry) -> tuple[str, str] | None:
    """First and last source page of the entry's first paginated layer (as ``Entry.page_range``)."""
    for layer in entry.layers.values():
        pages = layer.pages
        if pages:
            return pages[0], pages[-1]
    return None


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
