"""Rich text in field values, read as citeproc-js reads it (record pre-processing).

citeproc-js treats a small, fixed set of tags in a record's text fields as formatting:
``<i>``, ``<b>``, ``<sup>``, ``<sub>``, ``<sc>``, ``<span style="font-variant:small-caps;">``,
``<span class="nodecor">`` (no decoration) and ``<span class="nocase">`` (kept out of
text-case).  Only balanced pairs count; any other ``<``, and an unbalanced tag, is text (and
escaped in HTML output).  :func:`parse` turns the pairs into the formatting markers of
:mod:`.markup` (so the user's text never becomes HTML: only these known pairs become the same
tags the style's own formatting makes), keeps ``nocase`` spans for citeproc-py's reader, makes
the content of small caps, superscript and subscript ``nocase`` as citeproc-js does, and turns
straight quotes into typographic ones outside the tags.
"""

from __future__ import annotations

import re

from .markup import NODECOR_CLOSE, NODECOR_OPEN, marker

_NOCASE_OPEN, _NOCASE_CLOSE = "\ue011", "\ue012"
_NOCASE_TAG = ('<span class="nocase">', "</span>")

#: Opening tag -> (kind, closing tag).
_OPEN = {
    "<i>": ("italic", "</i>"),
    "<b>": ("bold", "</b>"),
    "<sup>": ("sup", "</sup>"),
    "<sub>": ("sub", "</sub>"),
    "<sc>": ("smallcaps", "</sc>"),
    '<span style="font-variant:small-caps;">': ("smallcaps", "</span>"),
    '<span style="font-variant: small-caps;">': ("smallcaps", "</span>"),
    '<span class="nodecor">': ("nodecor", "</span>"),
    '<span class="nocase">': ("nocase", "</span>"),
}
_TAG = re.compile("|".join(re.escape(t) for t in sorted(
    set(_OPEN) | {close for _, close in _OPEN.values()}, key=len, reverse=True)))
#: Kinds whose content citeproc-js keeps out of text-case (nodecor: "Lessard v. Schmidt").
_IMPLICIT_NOCASE = ("smallcaps", "sup", "sub", "nodecor")


def _markers(kind: str) -> tuple[str, str]:
    if kind == "nocase":
        return _NOCASE_OPEN, _NOCASE_CLOSE
    if kind == "nodecor":
        return NODECOR_OPEN, NODECOR_CLOSE
    return marker(kind)


def has_markup(text: str) -> bool:
    """``text`` holds at least one tag citeproc-js may read as formatting."""
    return "<" in text and _TAG.search(text) is not None


def parse(text: str, quotes, nocase: bool = True) -> str:
    """``text`` with its balanced formatting tags as markers and ``quotes(text)`` applied to
    the rest (``nocase`` spans stay tags, for citeproc-py's reader; with ``nocase`` false they
    are dropped, for text citeproc-py's reader never sees: names, cite affixes, style text)."""
    if "<" not in text:
        return quotes(text)
    tokens = list(_TAG.finditer(text))
    if not tokens:
        return quotes(text)
    replace: dict[int, str] = {}  # token index -> replacement
    stack: list[tuple[int, str, str]] = []  # (token index, kind, closing tag)
    nocase_inside: set[int] = set()  # opening tokens that contain a nocase span
    for i, m in enumerate(tokens):
        tag = m.group()
        if tag in _OPEN:
            kind, close = _OPEN[tag]
            stack.append((i, kind, close))
            continue
        # a closing tag closes the innermost open tag when it matches, else it is text
        if stack and stack[-1][2] == tag:
            j, kind, _ = stack.pop()
            open_, close_ = _markers(kind)
            if kind in _IMPLICIT_NOCASE and j not in nocase_inside and not any(
                    k == "nocase" for _, k, _ in stack):
                open_, close_ = open_ + _NOCASE_OPEN, _NOCASE_CLOSE + close_
            if kind == "nocase" or open_.endswith(_NOCASE_OPEN):
                for s, _, _ in stack:
                    nocase_inside.add(s)
            replace[j], replace[i] = open_, close_
    if not replace:
        return quotes(text)
    out: list[str] = []
    at = 0
    for i, m in enumerate(tokens):
        if i in replace:
            out.append(text[at:m.start()])
            out.append(replace[i])
            at = m.end()
    out.append(text[at:])
    done = quotes("".join(out))
    if not nocase:
        return done.replace(_NOCASE_OPEN, "").replace(_NOCASE_CLOSE, "")
    return done.replace(_NOCASE_OPEN, _NOCASE_TAG[0]).replace(_NOCASE_CLOSE, _NOCASE_TAG[1])


# -- quotes ------------------------------------------------------------------------------------

#: A quotation in a field value (its marks chosen when the citation is finished, by nesting).
QUOTE_OPEN, QUOTE_CLOSE = "\ue013", "\ue014"
#: A quotation typed with curly ``‘…’`` / ``“…”`` marks (closed by QUOTE_CLOSE): at the top level
#: it keeps the kind (outer or inner) its marks have in the locale.
QUOTE_OPEN_SINGLE, QUOTE_OPEN_DOUBLE = "\ue022", "\ue023"
_OPENERS = {QUOTE_OPEN: "", QUOTE_OPEN_SINGLE: "\u2018", QUOTE_OPEN_DOUBLE: "\u201c"}
_BEFORE_OPEN = "\\s([{\u2014\u2013/\ue000-\ue012-"
_FIELD_QUOTES = re.compile(
    # "…" or “…”: opens at the start or after a space, bracket or single mark, closes before the
    # end, a space or punctuation; ‘…’ and '…' the same (before a word or a double mark: '"…"'),
    # where the closing mark is not an apostrophe
    f'(?:(?<=^)|(?<=[{_BEFORE_OPEN}\\u0027\u2018]))(["\u201c])(?=\\S)(.*?)(?<=\\S)(["\u201d])(?!\\w)'
    f"|(?:(?<=^)|(?<=[{_BEFORE_OPEN}]))(['\u2018])(?=\\w|[\ue000-\ue012\\u0022\u201c])(.*?)(?<=\\S)(['\u2019])(?!\\w)",
    re.S)
_PAIRS = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}


def field_quotes(text: str) -> str:
    """Quotations of a field value as quote markers (``"…"``, ``“…”``, ``'…'``, ``‘…’``, nested
    ones too), every other ``'`` as ``’``; an unpaired ``"`` stays as it is, as in citeproc-js."""
    if not any(q in text for q in "\"'\u201c\u2018"):
        return text

    def pair(m: re.Match) -> str:
        if m.group(1):
            open_, inner, close = m.group(1), m.group(2), m.group(3)
        else:
            open_, inner, close = m.group(4), m.group(5), m.group(6)
        if _PAIRS[open_] != close and not (open_ == "\u2018" and close == "'"):
            return m.group()
        opener = {"\u2018": QUOTE_OPEN_SINGLE, "\u201c": QUOTE_OPEN_DOUBLE}.get(open_, QUOTE_OPEN)
        return opener + field_quotes(inner) + QUOTE_CLOSE

    return _FIELD_QUOTES.sub(pair, text).replace("'", "\u2019")


def resolve_quotes(text: str, outer: tuple[str, str], inner: tuple[str, str]) -> str:
    """Quote markers as the locale's marks: a quotation inside another takes the other kind
    (the style's own ``quotes="true"`` marks count as outer ones); at the top level a quotation
    is outer, unless typed with the locale's own inner marks (``‘…’`` in en-US), which citeproc-js's
    flip-flopper registers as an inner quotation."""
    if not any(m in text for m in _OPENERS):
        return text
    out: list[str] = []
    kinds: list[bool] = []  # True: an inner quotation
    closers: list[str] = []
    # the style's own marks, by their visible character ("«" of "« " in fr-FR)
    opening, closing = outer[0].strip()[:1], outer[1].strip()[-1:]
    counted = opening and closing and opening != closing
    inner_open = inner[0].strip()[:1]
    for ch in text:
        if ch in _OPENERS:
            is_inner = (not kinds[-1]) if kinds else bool(_OPENERS[ch]) and _OPENERS[ch] == inner_open
            marks = inner if is_inner else outer
            out.append(marks[0])
            kinds.append(is_inner)
            closers.append(marks[1])
        elif ch == QUOTE_CLOSE:
            out.append(closers.pop() if closers else "")
            if kinds:
                kinds.pop()
        else:
            if counted and ch == opening:
                kinds.append(False)
                closers.append("")
            elif counted and ch == closing and kinds and not closers[-1]:
                kinds.pop()
                closers.pop()
            out.append(ch)
    return "".join(out)


def style_text_values(root) -> None:
    """The style's own ``<text value="…"/>`` read as citeproc-js reads it: balanced formatting
    tags become formatting (``<b>`` inside a bold layout flips to normal) and quotations get the
    locale's marks by nesting.  Applied once when the style is loaded."""
    for node in root.iter("{http://purl.org/net/xbiblio/csl}text"):
        value = node.get("value")
        if value and ("<" in value or any(q in value for q in "\"'\u201c\u2018")):
            node.set("value", parse(value, field_quotes, nocase=False))
