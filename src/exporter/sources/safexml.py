"""Parsing untrusted XML safely.

Entity resolution, DTD loading, network access and XInclude are all off, and any document
type declaration is refused outright: TEI needs none, and refusing it closes XXE, billion-laughs
and external-DTD attacks before the parser sees them.  The file is read by us, so the parser
never opens a path or URL of its own.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from ..errors import CorpusError

MAX_BYTES = 200 * 1024 * 1024


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_file(path: Path) -> etree._Element:
    """Parse ``path`` as untrusted XML; raise :class:`CorpusError` naming the file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CorpusError(f"{path}: file is larger than {MAX_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, name: str) -> etree._Element:
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in data.upper():
        raise CorpusError(f"{name}: refused: document type declarations and entities are not allowed")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        msg = " ".join(str(exc).split())
        raise CorpusError(f"{name}: not well-formed XML: {msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise CorpusError(f"{name}: refused: document type declarations are not allowed")
    return root
