"""The DOCX template: python-docx's default package, trimmed, with the project's own styles.

python-docx's default template carries a 440 kB ``styles.xml`` (every Word 2010 table style), a
``stylesWithEffects.xml`` copy, a thumbnail and a customXml item.  Parsing and re-serialising
those on every export costs more than rendering ten pages, so the template is built once per
process: the heavy parts are dropped, ``styles.xml`` is replaced by the short list below, and
``settings.xml`` gets the ``w:footnotePr`` that points Word at the separator footnotes.  The
result is cached as bytes and each export opens a fresh :class:`docx.Document` from them.

Style ids are Word's built-in ids where Word has the style (``Title``, ``Heading1``..``Heading4``,
``BodyText``, ``Quote``, ``FootnoteText``, ``FootnoteReference``, ``CommentText``,
``CommentReference``, ``Salutation``, ``Closing``), so Word and LibreOffice map them onto their
own; the rest are the project's (``SourcePage``, ``Metadata``, ``MetadataLabel``,
``EntryMetadata``, ``Citation``, ``Dateline``, ``Verse``, ``Label``, ``AnnotationMeta``,
``VolumeDetails``, ``Terms``).
"""

from __future__ import annotations

import io
from functools import lru_cache

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

#: Page sizes and margins in twentieths of a point, by ``--paper``.
PAPER = {"a4": (11906, 16838), "letter": (12240, 15840)}
MARGIN = 1304  # 23 mm

#: Bare language codes Word knows better with a region.
WORD_LANG = {"en": "en-GB", "ru": "ru-RU", "de": "de-DE", "fr": "fr-FR", "it": "it-IT", "es": "es-ES",
             "pl": "pl-PL", "uk": "uk-UA", "cs": "cs-CZ", "sv": "sv-SE", "nl": "nl-NL"}


def word_lang(code: str | None) -> str | None:
    """A language tag for ``w:lang`` (``"ru"`` -> ``"ru-RU"``)."""
    if not code:
        return None
    return WORD_LANG.get(code.lower(), code)


def _para(sid: str, name: str, ppr: str = "", rpr: str = "", based: str = "Normal", nxt: str = "",
          extra: str = "") -> str:
    return (f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/>'
            + (f'<w:basedOn w:val="{based}"/>' if based else "")
            + (f'<w:next w:val="{nxt}"/>' if nxt else "")
            + extra + '<w:qFormat/>'
            + (f"<w:pPr>{ppr}</w:pPr>" if ppr else "") + (f"<w:rPr>{rpr}</w:rPr>" if rpr else "")
            + "</w:style>")


def _char(sid: str, name: str, rpr: str, extra: str = "") -> str:
    return (f'<w:style w:type="character" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="DefaultParagraphFont"/>{extra}<w:rPr>{rpr}</w:rPr></w:style>')


_HEAD_FONT = '<w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri" w:eastAsia="Calibri"/>'


def _heading(level: int, size: int, before: int, italic: bool = False) -> str:
    return _para(
        f"Heading{level}", f"heading {level}", nxt="BodyText",
        ppr=(f'<w:keepNext/><w:keepLines/><w:spacing w:before="{before}" w:after="120"/>'
             f'<w:outlineLvl w:val="{level - 1}"/>'),
        rpr=_HEAD_FONT + "<w:b/><w:bCs/>" + ("<w:i/><w:iCs/>" if italic else "")
        + f'<w:color w:val="1F3763"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/>',
        extra="<w:uiPriority w:val=\"9\"/>")


STYLES = (
    f'<w:styles xmlns:w="{W_NS}">'
    '<w:docDefaults><w:rPrDefault><w:rPr>'
    '<w:rFonts w:ascii="Cambria" w:hAnsi="Cambria" w:cs="Cambria" w:eastAsia="Cambria"/>'
    '<w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="ar-SA"/>'
    '</w:rPr></w:rPrDefault>'
    '<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
    '</w:docDefaults>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>'
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/></w:style>'
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
    '<w:semiHidden/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
    '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
    '</w:tblCellMar></w:tblPr></w:style>'
    '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/><w:semiHidden/></w:style>'
    + _para("Title", "Title", nxt="Subtitle", ppr='<w:spacing w:after="200"/><w:contextualSpacing/>',
            rpr=_HEAD_FONT + '<w:color w:val="17365D"/><w:kern w:val="28"/><w:sz w:val="44"/><w:szCs w:val="44"/>')
    + _para("Subtitle", "Subtitle", nxt="BodyText", ppr='<w:spacing w:after="360"/>',
            rpr='<w:i/><w:iCs/><w:color w:val="4F6228"/><w:sz w:val="22"/>')
    + _heading(1, 32, 480) + _heading(2, 26, 360) + _heading(3, 23, 240) + _heading(4, 22, 200, italic=True)
    + _para("BodyText", "Body Text", nxt="BodyText")
    + _para("Quote", "Quote", based="BodyText", ppr='<w:ind w:left="720" w:right="720"/>', rpr="<w:i/><w:iCs/>")
    + _para("ListParagraph", "List Paragraph", based="BodyText", ppr='<w:ind w:left="720" w:hanging="360"/>')
    + _para("Dateline", "Dateline", based="BodyText", ppr='<w:jc w:val="right"/>', rpr="<w:i/><w:iCs/>")
    + _para("Salutation", "Salutation", based="BodyText")
    + _para("Closing", "Closing", based="BodyText", ppr='<w:ind w:left="4320"/>')
    + _para("Verse", "Verse", based="BodyText", ppr='<w:spacing w:after="0"/><w:ind w:left="720"/>')
    + _para("Label", "Label", based="BodyText", ppr="<w:keepNext/>", rpr="<w:b/><w:bCs/>")
    + _para("VolumeDetails", "Volume details", based="BodyText", rpr='<w:color w:val="404040"/>')
    + _para("Metadata", "Metadata", ppr='<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>',
            rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>')
    + _char("MetadataLabel", "Metadata label", '<w:b/><w:bCs/><w:color w:val="404040"/>')
    + _para("Citation", "Citation",
            ppr=('<w:pBdr><w:left w:val="single" w:sz="12" w:space="6" w:color="A6A6A6"/></w:pBdr>'
                 '<w:spacing w:before="120" w:after="240"/><w:ind w:left="170"/>'),
            rpr='<w:sz w:val="19"/><w:szCs w:val="19"/>')
    + _char("SourcePage", "Source page",
            '<w:noProof/><w:color w:val="7F7F7F"/><w:sz w:val="17"/><w:szCs w:val="17"/>')
    + _para("FootnoteText", "footnote text", ppr='<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>',
            rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>', extra='<w:link w:val="FootnoteTextChar"/>')
    + _char("FootnoteTextChar", "Footnote Text Char", '<w:sz w:val="18"/><w:szCs w:val="18"/>',
            extra='<w:link w:val="FootnoteText"/>')
    + _char("FootnoteReference", "footnote reference", '<w:vertAlign w:val="superscript"/>')
    + _para("CommentText", "annotation text", ppr='<w:spacing w:after="60" w:line="240" w:lineRule="auto"/>',
            rpr='<w:sz w:val="20"/><w:szCs w:val="20"/>')
    + _char("CommentReference", "annotation reference", '<w:sz w:val="16"/><w:szCs w:val="16"/>')
    + _para("AnnotationMeta", "Annotation metadata", based="CommentText",
            rpr='<w:i/><w:iCs/><w:color w:val="595959"/><w:sz w:val="16"/><w:szCs w:val="16"/>')
    + _para("Terms", "Terms of use", based="BodyText", rpr='<w:sz w:val="18"/><w:szCs w:val="18"/>')
    + '<w:style w:type="table" w:styleId="EntryMetadata"><w:name w:val="Entry metadata"/>'
    '<w:basedOn w:val="TableNormal"/><w:pPr><w:spacing w:after="0"/></w:pPr><w:tblPr>'
    '<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="BFBFBF"/>'
    '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="BFBFBF"/>'
    '<w:insideH w:val="single" w:sz="2" w:space="0" w:color="D9D9D9"/></w:tblBorders>'
    '<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
    '</w:tblPr></w:style>'
    '</w:styles>'
)

_FOOTNOTE_PR = '<w:footnotePr xmlns:w="%s"><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>' % W_NS


@lru_cache(maxsize=1)
def template_bytes() -> bytes:
    """The trimmed template package (built once per process)."""
    import docx
    from docx.oxml.ns import qn
    from docx.oxml.parser import parse_xml

    document = docx.Document()
    part = document.part
    # Relationship types end in the part's kind; match on that (python-docx has no constant for
    # Microsoft's stylesWithEffects).
    drop = {"stylesWithEffects", "customXml", "webSettings", "numbering", "thumbnail"}
    for rels in (part.rels, part.package.rels):
        for rId, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in drop:
                del rels[rId]
    part._styles_part._element = parse_xml(STYLES.encode("utf-8"))  # noqa: SLF001 -- no public setter
    settings = document.settings.element
    for tag in ("w:rsids", "w:savePreviewPicture", "w:attachedTemplate"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    compat = settings.find(qn("w:compat"))
    footnote_pr = parse_xml(_FOOTNOTE_PR)
    if compat is not None:
        compat.addprevious(footnote_pr)
    else:
        settings.append(footnote_pr)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def page_setup(sect_pr, paper: str) -> None:
    """Set page size and margins on a ``w:sectPr`` for ``paper`` (``a4`` or ``letter``)."""
    from docx.oxml.ns import qn

    width, height = PAPER.get(paper, PAPER["a4"])
    pg_sz = sect_pr.find(qn("w:pgSz"))
    if pg_sz is not None:
        pg_sz.set(qn("w:w"), str(width))
        pg_sz.set(qn("w:h"), str(height))
    pg_mar = sect_pr.find(qn("w:pgMar"))
    if pg_mar is not None:
        for side in ("w:top", "w:bottom", "w:left", "w:right"):
            pg_mar.set(qn(side), str(MARGIN))
