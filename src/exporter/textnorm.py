"""Text normalisation applied once, at load time.

Every string that reaches the model passes through :func:`clean`.  Characters that XML 1.0
forbids (C0 controls other than tab/newline/CR, U+FFFE/U+FFFF, lone surrogates) are replaced
with U+FFFD and counted, so that no backend (python-docx, weasyprint, lxml) ever sees them.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"[ \t\r\n]+")


class Cleaner:
    """Replaces XML-illegal characters and counts the replacements."""

    __slots__ = ("replaced",)

    def __init__(self) -> None:
        self.replaced = 0

    def clean(self, text: str) -> str:
        """Return ``text`` with XML-illegal characters replaced by U+FFFD."""
        if _ILLEGAL.search(text):
            text, n = _ILLEGAL.subn(REPLACEMENT, text)
            self.replaced += n
        return text

    def warning(self, where: str) -> str | None:
        if not self.replaced:
            return None
        return f"{where}: replaced {self.replaced} character(s) not allowed in XML with U+FFFD"


def collapse(text: str) -> str:
    """Collapse XML whitespace runs to single spaces (not stripped)."""
    return _SPACE.sub(" ", text)
