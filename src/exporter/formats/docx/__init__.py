"""``docx``: a Word document for editing, with real footnotes and real comments.

Structure (see ``docs/docx.md``): a ``Title`` and ``Subtitle``; per volume a ``Heading 1`` and
its details; per entry a ``Heading 2`` (with any heading notes), a metadata table
(``Entry metadata`` table style), the citation (``Citation``), then the text layers -- under
``Heading 3`` "Translation"/"Transcription" when more than one is exported -- in paragraph styles
by block kind, with ``[p. 21]`` source-page runs (``Source page`` character style).  Editorial
notes are Word footnotes (:mod:`.footnotes`), annotations Word comments
(:mod:`.comments`).  The body XML is written by :mod:`.body`; the template with the
styles is built once per process (:mod:`.template`).

python-docx is imported only when a document is rendered.
"""

from __future__ import annotations

from typing import BinaryIO

from ... import hookimpl
from ...model import Document
from ...registry import Format, Option, RenderInfo

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write ``doc`` as DOCX to ``out``."""
    import io

    import docx
    from docx.oxml.ns import qn
    from docx.oxml.parser import parse_xml

    from .body import BodyWriter
    from .comments import add_comments
    from .footnotes import add_footnotes_part
    from .template import page_setup, template_bytes, word_lang

    info = RenderInfo()
    document = docx.Document(io.BytesIO(template_bytes()))
    language = document_language(doc)
    lang = word_lang(language)
    if lang:
        styles = document.styles.element
        for el in styles.iter(qn("w:lang")):
            el.set(qn("w:val"), lang)
            break

    writer = BodyWriter(doc, default_lang=lang)
    fragment = parse_xml(writer.write().encode("utf-8"))
    runs = list(fragment.iter(qn("w:r")))
    body = document.element.body
    sect_pr = body.find(qn("w:sectPr"))
    for child in list(fragment):
        if sect_pr is not None:
            sect_pr.addprevious(child)
        else:
            body.append(child)
    if sect_pr is not None:
        page_setup(sect_pr, doc.options.get("paper", "a4"))

    add_footnotes_part(document, writer.notes)
    add_comments(document, writer.anchors, runs, info.warnings)
    set_properties(document, doc, language)

    buf = io.BytesIO()
    document.save(buf)
    out.write(buf.getvalue())
    return info


def document_language(doc: Document) -> str | None:
    """The document's main language: the first volume's first language."""
    for volume in doc.volumes:
        if volume.languages:
            return volume.languages[0]
    return None


def set_properties(document, doc: Document, language: str | None) -> None:
    """Core properties: title, author, subject, keywords, created, language and a description."""
    props = document.core_properties
    props.title = doc.title[:255]
    people: list[str] = []
    for entry in doc.entries:
        for person in entry.authors:
            if person.display and person.display not in people:
                people.append(person.display)
    if not people:
        for volume in doc.volumes:
            people.extend(p.display for p in volume.editors if p.display and p.display not in people)
    props.author = "; ".join(people)[:255] or doc.archive_name
    props.subject = "; ".join(v.title for v in doc.volumes)[:255]
    keywords: list[str] = []
    for entry in doc.entries:
        for word in (entry.kind, *entry.layers):
            if word and word not in keywords:
                keywords.append(word)
    for ann in doc.annotations:
        for tag in ann.tags:
            if tag not in keywords:
                keywords.append(tag)
    props.keywords = ", ".join(keywords)[:255]
    props.created = doc.exported_at.replace(tzinfo=None)
    props.modified = doc.exported_at.replace(tzinfo=None)
    props.last_modified_by = (doc.user_name or doc.user or "")[:255]
    props.revision = 1
    props.category = "Archive export"
    props.comments = f"Exported from {doc.archive_name}: {doc.selection.describe()}"[:255]
    if language:
        props.language = language
    if len(doc.entries) == 1:
        props.identifier = doc.entries[0].iri
    elif len(doc.volumes) == 1 and doc.volumes[0].identifier:
        props.identifier = doc.volumes[0].identifier


#: The options of the ``docx`` format.
OPTIONS = (Option("paper", help="paper size (default a4)", choices=("a4", "letter"), default="a4"),)


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="docx", media_type=MEDIA_TYPE, extension="docx", render=render, material=True,
                    citations=True, options=OPTIONS,
                    description="Word document with real footnotes and comments"))
