"""Editorial notes as real Word footnotes.

python-docx has no footnote API.  A Word footnote needs four things, all written here or by
:mod:`exporter.formats.docx.body`:

1. the part ``/word/footnotes.xml`` (``w:footnotes``), beginning with the two special notes Word
   expects -- ``w:id="-1"`` of type ``separator`` and ``w:id="0"`` of type
   ``continuationSeparator`` -- followed by one ``w:footnote`` per note (ids 1, 2, ...), whose
   paragraph has the ``FootnoteText`` style and opens with a ``w:footnoteRef`` run (the number,
   ``FootnoteReference`` style);
2. a relationship of type ``.../relationships/footnotes`` from the document part to it;
3. a content-type override for the part (python-docx's package writer derives the override from
   the part's content type when it saves);
4. in the body, a run ``<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>
   <w:footnoteReference w:id="n"/></w:r>`` where the note is called.

``settings.xml`` of the template also names the two special notes in ``w:footnotePr``, as Word
itself writes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model import Note
from .body import rpr, t_elements
from .template import W_NS

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document as DocxDocument

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
PARTNAME = "/word/footnotes.xml"

_SPECIAL = (
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240"'
    ' w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0"'
    ' w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
)


def footnotes_xml(notes: list[Note]) -> bytes:
    """The ``w:footnotes`` part for ``notes``; note ``i`` (0-based) gets id ``i + 1``."""
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n",
           f'<w:footnotes xmlns:w="{W_NS}">', _SPECIAL]
    for n, note in enumerate(notes, 1):
        runs = "".join(f"<w:r>{rpr(t.styles)}{t_elements(t.text)}</w:r>" for t in note.content if t.text)
        out.append(
            f'<w:footnote w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
            '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:t xml:space="preserve"> </w:t></w:r>{runs}</w:p></w:footnote>')
    out.append("</w:footnotes>")
    return "".join(out).encode("utf-8")


def add_footnotes_part(document: "DocxDocument", notes: list[Note]) -> None:
    """Create ``/word/footnotes.xml`` holding ``notes`` and relate it from the document part."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    part = document.part
    for rel in part.rels.values():  # a template that already has one is not ours to extend
        if rel.reltype == RELATIONSHIP:
            raise ValueError("the DOCX template already has a footnotes part")
    footnotes = Part(PackURI(PARTNAME), CONTENT_TYPE, footnotes_xml(notes), part.package)
    part.relate_to(footnotes, RELATIONSHIP)

