"""Assembling the EPUB 3 package with ebooklib.

ebooklib builds the package document (OPF), the NCX and the ZIP container.  The content
documents and the navigation document are written by :mod:`exporter_epub.xhtml` and stored
verbatim: ebooklib's own HTML round trip (an HTML parser, then re-serialisation) and its page
list (which takes every element with an ``epub:type`` and an ``id`` for a page) are bypassed.
"""

from __future__ import annotations

import uuid
from typing import BinaryIO

from exporter.model import Document, Person

from . import xhtml

CSS = """\
body { font-family: serif; line-height: 1.45; margin: 0 1em; }
h1 { font-size: 1.4em; margin: 1em 0 0.4em; }
h2 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
h3 { font-size: 1em; font-style: italic; }
dl.meta { font-size: 0.85em; margin: 0.5em 0 1em; }
dl.meta dt { font-weight: bold; float: left; clear: left; margin-right: 0.5em; }
dl.meta dd { margin: 0 0 0.2em 0; }
p { margin: 0 0 0.6em; text-indent: 0; }
p.citation { font-size: 0.85em; padding: 0.4em; border: 1px solid #999; }
p.dateline, p.closer, p.salute { font-style: italic; }
p.item { margin-left: 1.5em; }
p.verse { margin-left: 2em; }
blockquote { margin: 0.5em 2em; }
.sc { font-variant: small-caps; }
.pb { font-size: 0.7em; color: #666; }
a.noteref, a.annref { font-size: 0.75em; vertical-align: super; line-height: 0; text-decoration: none; }
mark.ann { background: #fff3a8; color: inherit; }
section.notes, section.annotations { font-size: 0.9em; border-top: 1px solid #999; margin-top: 1.5em; }
section.notes aside p { margin-bottom: 0.4em; }
p.ann-quote { font-style: italic; }
p.ann-by, p.tags { font-size: 0.85em; color: #444; }
"""


def book_identifier(doc: Document) -> str:
    """A stable ``urn:uuid`` for the same selection exported the same way."""
    key = "\n".join([
        "exporter-epub",
        *[e.iri for e in doc.entries],
        doc.selection.describe(),
        doc.user or "",
        doc.annotations_mode,
        doc.style or "",
    ])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def _people(doc: Document) -> tuple[list[Person], list[Person]]:
    """Distinct entry authors (creators) and volume editors (contributors), in order."""
    authors: dict[str, Person] = {}
    for e in doc.entries:
        for p in e.authors:
            if p.display:
                authors.setdefault(p.display, p)
    editors: dict[str, Person] = {}
    for v in doc.volumes:
        for p in v.editors:
            if p.display and p.display not in authors:
                editors.setdefault(p.display, p)
    return list(authors.values()), list(editors.values())


def write_epub(doc: Document, out: BinaryIO) -> None:
    """Write ``doc`` as an EPUB 3 book to the binary stream ``out``."""
    from ebooklib import epub

    class Verbatim(epub.EpubHtml):
        """A content document stored exactly as written."""

        def get_content(self, default=None):  # ebooklib's signature
            return self.content

    languages: list[str] = []
    for v in doc.volumes:
        for lang in v.languages:
            if lang and xhtml.lang_tag(lang, "") and lang not in languages:
                languages.append(lang)
    for e in doc.entries:
        for layer in e.layers.values():
            if layer.language and xhtml.lang_tag(layer.language, "") and layer.language not in languages:
                languages.append(layer.language)
    lang = languages[0] if languages else "en"

    book = epub.EpubBook()
    book.set_identifier(book_identifier(doc))
    book.set_title(doc.title)
    book.language = lang
    for code in languages or [lang]:
        book.add_metadata("DC", "language", code)
    authors, editors = _people(doc)
    for i, p in enumerate(authors, 1):
        uid = f"creator{i}"
        book.add_metadata("DC", "creator", p.display, {"id": uid})
        book.add_metadata(None, "meta", p.sort_name, {"refines": f"#{uid}", "property": "file-as"})
        book.add_metadata(None, "meta", "aut", {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
    for i, p in enumerate(editors, 1):
        uid = f"editor{i}"
        tag = "creator" if not authors and i == 1 else "contributor"
        book.add_metadata("DC", tag, p.display, {"id": uid})
        book.add_metadata(None, "meta", p.sort_name, {"refines": f"#{uid}", "property": "file-as"})
        book.add_metadata(None, "meta", "edt", {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
    book.add_metadata("DC", "date", doc.exported_at.date().isoformat())
    publishers = [v.publisher for v in doc.volumes if v.publisher]
    if publishers:
        book.add_metadata("DC", "publisher", publishers[0])
    for v in doc.volumes:
        book.add_metadata("DC", "source", v.title + (f" ({v.identifier})" if v.identifier else ""))
        if v.terms:
            book.add_metadata("DC", "rights", v.terms)
    book.add_metadata("DC", "description", f"Exported from {'; '.join(v.title for v in doc.volumes)}: "
                                           f"{doc.selection.describe()}.")

    css = epub.EpubItem(uid="style", file_name=xhtml.STYLESHEET, media_type="text/css", content=CSS.encode())
    book.add_item(css)

    title_page = Verbatim(uid="titlepage", file_name="title.xhtml", title="Title page",
                          content=xhtml.title_document(doc, lang))
    book.add_item(title_page)

    chapters = []
    toc: list[xhtml.TocItem] = []
    pages: list[xhtml.PageMark] = []
    for n, entry in enumerate(doc.entries, 1):
        file = f"entry{n:04d}.xhtml"
        content, marks = xhtml.chapter_document(entry, file, lang)
        title = entry.title or entry.local_id
        chapter = Verbatim(uid=f"entry{n:04d}", file_name=file, title=title, content=content)
        book.add_item(chapter)
        chapters.append(chapter)
        pages.extend(marks)
        item = xhtml.TocItem(file, title)
        if len(entry.layers) > 1:
            item.children = [(f"{file}#layer-{xhtml._ident(name)}", xhtml.LAYER_TITLES.get(name, name.title()))
                             for name in entry.layers]
        toc.append(item)

    nav = Verbatim(uid="nav", file_name="nav.xhtml", title="Contents",
                   content=xhtml.nav_document(doc.title, toc, pages, title_page.file_name, lang))
    nav.properties.append("nav")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())  # for EPUB 2 reading systems; the nav document is authoritative

    book.toc = chapters
    book.spine = [title_page, nav, *chapters]
    options = {"raise_exceptions": True, "epub3_pages": False, "epub3_landmark": False,
               "epub2_guide": False, "mtime": doc.exported_at}
    writer = epub.EpubWriter(out, book, options)
    writer.process()
    writer.write()
