"""Punctuation next to closing quotation marks, as citeproc-js places it (post-processing).

With the locale's ``punctuation-in-quote`` (en-US), citeproc-js moves every ``.``, ``,``,
``?`` and ``!`` that follows a closing quotation mark inside it, past an inner closing mark
too ("“This is ‘The One.’”"), and stops at ``:`` or ``;``, which stay outside ("“colon”:,
comma", "“period.”; semicolon").  A mark the quotation already ends with is not repeated, and
a period after a quotation ending in ``?`` or ``!`` is dropped ("“Article A?” Journal").
Quotation marks a cite's prefix or suffix carries are the user's text and are left alone:
:data:`OPAQUE` after such a mark stops the move.
"""

from __future__ import annotations

import re

#: Follows a closing quotation mark of a cite affix: no punctuation moves into it.
OPAQUE = "\ue01e"
#: Ends a cite whose suffix ends in a comma or semicolon: the delimiter after it drops its mark.
#: Removed when the citation is finished.
SUFFIX_MARK = "\ue01f"
_PIQ = re.compile("([.?!,]?)(\u2019?\u201d)([\ue000-\ue00d]*)([.,?!]+)")


def punctuation_in_quote(text: str) -> str:
    """``text`` with the punctuation after its closing quotation marks moved inside them."""
    def move(m: re.Match) -> str:
        own, run = m.group(1), m.group(4)
        if own and run[:1] == own:
            run = run[1:]
        elif own in ("?", "!") and run[:1] == ".":
            run = run[1:]
        # a run of the same mark once ("..", "!!")
        run = re.sub(r"([.,?!])\1+", r"\1", run)
        return own + run + m.group(2) + m.group(3)

    if "\u201d" not in text:
        return text
    return _PIQ.sub(move, text)


def opaque_quotes(affix: str, close: str) -> str:
    """A cite affix whose closing quotation markers (``close``) take no punctuation."""
    return affix.replace(close, close + OPAQUE) if close in affix else affix
