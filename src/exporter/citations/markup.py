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
    "baseline": ("\ue020", "\ue021", '<span style="baseline">', "</span>"),
}
#: An explicit ``font-style="normal"`` / ``vertical-align="baseline"``: a tag only inside
#: italics / superscript or subscript (citeproc-js writes no "normal" without a decoration).
_RESETS = {"normal": ("italic",), "baseline": ("sup", "sub")}
#: ``<span class="nodecor">`` of a field value: the decorations around it turned off.
NODECOR_OPEN, NODECOR_CLOSE = "\ue00f", "\ue010"
#: Also removed from output: U+E00E marks a term (see compat.TERM_MARK).
#: ``display`` of a style element (and ``second-field-align``): marker pair -> citeproc-js's
#: HTML, whose line breaks it keeps ("csl-left-margin", "csl-right-inline", ...).
DISPLAY = {
    "block": ("\ue016", "\ue017", '\n\n    <div class="csl-block">', "</div>\n"),
    "left-margin": ("\ue018", "\ue019", '\n    <div class="csl-left-margin">', "</div>"),
    "right-inline": ("\ue01a", "\ue01b", '<div class="csl-right-inline">', "</div>\n  "),
    "indent": ("\ue01c", "\ue01d", '<div class="csl-indent">', "</div>\n  "),
}
#: Where ``second-field-align`` splits an entry (after its first field).
FIELD_SPLIT = "\ue015"
#: U+E013/U+E014 (and U+E022/U+E023) mark a quotation in a field value (see richtext.QUOTE_OPEN).
MARKERS = ("".join(o + c for o, c, _, _ in _TAGS.values()) + "\ue00e" + NODECOR_OPEN + NODECOR_CLOSE
           + "\ue013\ue014\ue022\ue023" + FIELD_SPLIT + "".join(o + c for o, c, _, _ in DISPLAY.values()))
_STRIP = re.compile(f"[{MARKERS}]")
_TO_TAG = {m: tag for o, c, ot, ct in (*_TAGS.values(), *DISPLAY.values()) for m, tag in ((o, ot), (c, ct))}
#: Plain text: the left margin set apart from the rest by one space, as citeproc-js's text output.
_MARGIN_END = re.compile(" ?\ue019(\ue01a?) ?")
_HTML_ESCAPES = str.maketrans({"&": "&#38;", "<": "&#60;", ">": "&#62;"})
_MARKER_RE = re.compile(f"[{MARKERS}]")


#: What a decoration nested in the same decoration becomes (citeproc-js's flip-flop).
_FLIP = {"italic": '<span style="font-style:normal;">', "bold": '<span style="font-weight:normal;">',
         "smallcaps": '<span style="font-variant:normal;">'}
_FLIP_STYLE = {"italic": "font-style:normal;", "bold": "font-weight:normal;",
               "smallcaps": "font-variant:normal;"}
_KIND = {m: (kind, m == o) for kind, (o, c, _, _) in _TAGS.items() for m in (o, c)}


def marker(kind: str) -> tuple[str, str]:
    """The (open, close) markers of a formatting kind (``italic``, ``bold``, ``smallcaps``,
    ``sup``, ``sub``, ``underline``)."""
    open_, close, _, _ = _TAGS[kind]
    return open_, close


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
    if "\ue019" in text:
        text = _MARGIN_END.sub(" ", text)
    return _STRIP.sub("", text)


def _superscripts() -> dict[int, str]:
    """Unicode superscript letters and digits -> ``<sup>`` of their base character, as
    citeproc-js writes them in HTML ("1ʳᵉ" -> "1<sup>r</sup><sup>e</sup>")."""
    import unicodedata

    table = {}
    for code in (*range(0xA0, 0x2100), *range(0x2C7C, 0x2C7E), *range(0x2D6F, 0x2D70),
                 *range(0xA69C, 0xA6A0), *range(0xA770, 0xA771), *range(0xA7F8, 0xA7FA),
                 *range(0xAB5C, 0xAB60), *range(0x3192, 0x31A0), *range(0x2120, 0x2123)):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) >= 2 and parts[0] == "<super>":
            table[code] = "<sup>" + "".join(chr(int(p, 16)) for p in parts[1:]) + "</sup>"
    # modifier letters citeproc-js also counts as superscripts (no <super> decomposition)
    for char, base in (("\u02c0", "\u0294"), ("\u02c1", "\u0295"), ("\u06e5", "\u0648"),
                       ("\u06e6", "\u064a")):
        table[ord(char)] = f"<sup>{base}</sup>"
    return table


_HTML_ESCAPES.update(_superscripts())


def to_html(text: str) -> str:
    """HTML output: escaped text (superscript characters as ``<sup>``), markers turned into
    tags (empty elements dropped)."""
    escaped = text.translate(_HTML_ESCAPES)
    for o, c, _, _ in _TAGS.values():
        escaped = escaped.replace(o + c, "")
    if NODECOR_OPEN in escaped or any(escaped.count(o) > 1 for o in _FLIPPING) \
            or "\ue00c" in escaped or "\ue020" in escaped:
        return _flip_flop(escaped)
    return _MARKER_RE.sub(lambda m: _TO_TAG.get(m.group(), ""), escaped)


_FLIPPING = tuple(_TAGS[k][0] for k in _FLIP)


def _flip_flop(escaped: str) -> str:
    """Markers as tags where a decoration inside the same decoration turns it off again
    (``<i>a <i>b</i></i>`` -> ``<i>a <span style="font-style:normal;">b</span></i>``) and a
    nodecor span turns off every decoration around it, as citeproc-js writes them."""
    active = {k: False for k in (*_FLIP, "sup", "sub")}
    stack: list[tuple[str | None, str, dict]] = []  # (kind, closing tag, state to restore)

    def tag(m: re.Match) -> str:
        mark = m.group()
        if mark == NODECOR_OPEN:
            styles = "".join(_FLIP_STYLE[k] for k in _FLIP if active[k])
            stack.append((None, "</span>" if styles else "", dict(active)))
            for k in active:
                active[k] = False
            return f'<span style="{styles}">' if styles else ""
        if mark == NODECOR_CLOSE:
            if not stack:
                return ""
            _, close, saved = stack.pop()
            active.update(saved)
            return close
        kind_open = _KIND.get(mark)
        if kind_open is None:
            return _TO_TAG.get(mark, "")
        kind, opening = kind_open
        if kind in _RESETS:
            if opening:
                on = any(active[k] for k in _RESETS[kind])
                stack.append((kind, _TO_TAG[_TAGS[kind][1]] if on else "", dict(active)))
                for k in _RESETS[kind]:
                    active[k] = False
                return _TO_TAG[mark] if on else ""
            if not stack:
                return ""
            _, close, saved = stack.pop()
            active.update(saved)
            return close
        if kind in ("sup", "sub"):
            if opening:
                stack.append((kind, _TO_TAG[_TAGS[kind][1]], dict(active)))
                active[kind] = True
                return _TO_TAG[mark]
            if not stack:
                return ""
            _, close, saved = stack.pop()
            active.update(saved)
            return close
        if kind not in _FLIP:
            return _TO_TAG[mark]
        if opening:
            flipped = active[kind]
            stack.append((kind, "</span>" if flipped else _TO_TAG[_TAGS[kind][1]], dict(active)))
            active[kind] = not flipped
            return _FLIP[kind] if flipped else _TO_TAG[mark]
        if not stack:
            return ""
        _, close, saved = stack.pop()
        active.update(saved)
        return close

    return _MARKER_RE.sub(tag, escaped)
