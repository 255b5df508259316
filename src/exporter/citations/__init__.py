"""CSL citation formatting (citeproc-py with a compatibility layer); see the citations issue."""

from __future__ import annotations

from ..model import Document
from ..registry import Style


def format_document_citations(doc: Document, style: Style) -> None:
    """Fill ``entry.citation`` for every entry of ``doc`` using ``style``."""
    raise NotImplementedError("CSL formatting is not available yet")
