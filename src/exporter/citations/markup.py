"""A citeproc-py output formatter that renders once and gives both plain text and escaped HTML.

citeproc-py's own HTML formatter does not escape field values (``<`` and ``&`` pass through
as markup).  Here every formatting instruction wraps its text in private-use marker characters;
:func:`to_text` drops the markers, :func:`to_html` escapes the text exactly as citeproc-js does
(``&#38;``, ``&#60;``, ``&#62;``) and only then turns the markers into tags.  User text is thus
never markup, and one rendering serves both outputs.
"""

from __future__ import annotations

import re

#: Marker pairs (open, close) -> the HTML tags citeproc-js writes for them.
_TAGS = {
    "italic": ("\ue000", "\ue001", "<i>", "</i>"),
    "bold": ("\ue002", "\ue003", "<b>", "</b>"),
    "smallcaps": ("\ue004", "\ue005", '<span style="font-variant:small-caps;">', "</span>"),
    "sup": ("\ue006", "\ue007", "<sup>", "</sup>"),
    "sub": ("\ue008", "\ue009", "<sub>", "</sub>"),
    "underline": ("\ue00a", "\ue00b", '<span style="text-decoration:underline;">', "</span>"),
    "normal": ("\ue00c", "\ue00d", '<span style="font-style:normal;">', "</span>"),
}
#: Also removed from output: U+E00E marks a term (see compat.TERM_MARK).
MARKERS = "".join(o + c for o, c, _, _ in _TAGS.values()) + "\ue00e"
_STRIP = re.compile(f"[{MARKERS}]")
_TO_TAG = {m: tag for o, c, ot, ct in _TAGS.values() for m, tag in ((o, ot), (c, ct))}
_HTML_ESCAPES = str.maketrans({"&": "&#38;", "<": "&#60;", ">": "&#62;"})
_MARKER_RE = re.compile(f"[{MARKERS}]")


def _wrapper(kind: str) -> type:
    open_, close, _, _ = _TAGS[kind]

    class Wrapper(str):
        def __new__(cls, text: object) -> Wrapper:
            return str.__new__(cls, open_ + str(text) + close)

    Wrapper.__name__ = kind.capitalize()
    return Wrapper


class MarkerFormatter:
    """Passed to citeproc-py as its ``formatter`` (module-like: classes named by style)."""

    Italic = _wrapper("italic")
    Oblique = Italic
    Bold = _wrapper("bold")
    Light = str  # citeproc-js has no light weight in text or plain HTML output
    Underline = _wrapper("underline")
    Superscript = _wrapper("sup")
    Subscript = _wrapper("sub")
    SmallCaps = _wrapper("smallcaps")

    @staticmethod
    def preformat(text: object) -> str:
        return str(text)


def strip_markers(text: str) -> str:
    """``text`` without formatting markers (for sort keys and comparisons)."""
    return _STRIP.sub("", text)


def to_text(text: str) -> str:
    """Plain-text output."""
    return _STRIP.sub("", text)


def to_html(text: str) -> str:
    """HTML output: escaped text, markers turned into tags (empty elements dropped)."""
    escaped = text.translate(_HTML_ESCAPES)
    for o, c, _, _ in _TAGS.values():
        escaped = escaped.replace(o + c, "")
    return _MARKER_RE.sub(lambda m: _TO_TAG.get(m.group(), ""), escaped)
