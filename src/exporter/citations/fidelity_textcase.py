"""Fidelity patch: ``text-case`` as citeproc-js applies it (one unit, installed by
:mod:`.fidelity`'s ``PATCHES``).

citeproc-py re-joins the words of a cased text with single spaces (so a ``nocase`` span or a
formatted part of a field came out as "Mirror , the"), capitalises the first character even
when it is a quote or a formatting mark ("“new"), treats "pro-environmental" or "cat/mouse" as
one word, and lower-cases ``nocase`` text in ``lowercase``/``uppercase``.  citeproc-js keeps the
text's own spacing, capitalises the first letter of a word, cases each part of a compound
joined by a hyphen, dash or slash (a stop word inside a compound stays lower case:
"Out-of-Fashion"), capitalises the first word, the last word and a word after ``:``, ``?``,
``!`` or ``.``, and never changes ``nocase`` text.
"""

from __future__ import annotations

import re

_SPACE = re.compile(r"(\s+)")
_PARTS = re.compile("([-\u2013\u2014/])")
#: Leading characters skipped to find the letter to capitalise: formatting marks, quotes, brackets.
_LEAD = re.compile("^([\ue000-\ue014\ue022\ue023\u201c\u2018\"'(\\[\u00ab]*)(.)", re.S)
_SENTENCE_END = (":", "?", "!", ".")
_NOT_WORD = "".join(map(chr, range(0xE000, 0xE015))) + "\u201c\u201d\u2018\u2019\"'()[],;:.?!"


def capitalize(word: str) -> str:
    """``word`` with its first letter (after quotes, brackets, formatting marks) upper-cased."""
    return _LEAD.sub(lambda m: m.group(1) + m.group(2).upper(), word, count=1)


def _title_part(part: str, stop_words, first: bool, in_compound: bool, lead: bool) -> str:
    """One part of a word in title case."""
    core = part.strip(_NOT_WORD)
    if not part or not part.islower():
        return part
    if not first and core in stop_words:
        # a stop word that starts a compound ("pro-environmental") is capitalised, unless it
        # is a single letter ("β-carotine"), which citeproc-js leaves alone
        if not (lead and in_compound and len(core) > 1):
            return part
    return capitalize(part)


def _segments(text) -> list:
    return list(text) if isinstance(text, list) else [text]


def _locale_case(text: str, lower: bool, dotted: bool) -> str:
    """``text`` lower- or upper-cased; ``dotted``: with the Turkish i ("i" -> "İ", "I" -> "ı")."""
    if not dotted:
        return text.lower() if lower else text.upper()
    if lower:
        return text.replace("I", "\u0131").replace("\u0130", "i").lower()
    return text.replace("i", "\u0130").upper()


def patch_text_case(model) -> None:
    """``TextCased.case`` keeping spacing and ``nocase`` text, casing compounds per part and
    capitalising first letters after quotes and marks, as citeproc-js does."""
    from citeproc.string import MixedString, NoCase, String

    def case(self, text, language=None):
        text_case = self.get("text-case")
        if text_case is None:
            return text
        if language != "en" and text_case == "title":
            return text
        segments = _segments(text)
        kinds = [isinstance(s, NoCase) for s in segments]
        whole = "".join(str(s) for s in segments)
        if text_case == "title":
            stop_words = type(self)._stop_words
            # positions of the words: (segment, token index) of the last word
            tokens = [_SPACE.split(str(s)) for s in segments]
            last = max(((i, j) for i, toks in enumerate(tokens) for j, t in enumerate(toks)
                        if t.strip()), default=None)
            out = []
            prev = ":"
            for i, (seg, toks) in enumerate(zip(segments, tokens)):
                if kinds[i]:
                    out.append(seg)
                    if str(seg).strip():
                        prev = str(seg).rstrip()[-1]
                    continue
                for j, tok in enumerate(toks):
                    if not tok or tok.isspace():
                        continue
                    # the last word is capitalised too, unless it starts with a single letter
                    # ("of β-Carotine")
                    first = prev in _SENTENCE_END or (
                        (i, j) == last and len(_PARTS.split(tok)[0].strip(_NOT_WORD)) > 1)
                    parts = _PARTS.split(tok)
                    compound = len(parts) > 1
                    cased = []
                    for k, part in enumerate(parts):
                        if k % 2:
                            cased.append(part)
                            continue
                        cased.append(_title_part(part, stop_words, first and k == 0, compound, k == 0))
                    toks[j] = "".join(cased)
                    prev = tok[-1]
                out.append(String("".join(toks)))
            return MixedString(out) if len(out) != 1 else out[0]
        if text_case in ("lowercase", "uppercase"):
            # Turkish and Azerbaijani dotted and dotless i, as citeproc-js's toLocaleUpperCase
            dotted = language in ("tr", "az")
            out = [s if kinds[i] else String(_locale_case(str(s), text_case == "lowercase", dotted))
                   for i, s in enumerate(segments)]
            return MixedString(out) if len(out) != 1 else out[0]
        if text_case == "capitalize-first":
            done = False
            out = []
            for i, s in enumerate(segments):
                if not done and str(s).strip():
                    done = True
                    if not kinds[i]:
                        s = String(capitalize(str(s)))
                out.append(s)
            return MixedString(out) if len(out) != 1 else out[0]
        if text_case == "capitalize-all":
            out = [s if kinds[i] else String("".join(capitalize(t) for t in _SPACE.split(str(s))))
                   for i, s in enumerate(segments)]
            return MixedString(out) if len(out) != 1 else out[0]
        if text_case == "sentence":
            upper = whole.isupper()
            out = []
            started = False
            for i, s in enumerate(segments):
                if kinds[i]:
                    out.append(s)
                    started = started or bool(str(s).strip())
                    continue
                toks = _SPACE.split(str(s))
                for j, tok in enumerate(toks):
                    if not tok or tok.isspace():
                        continue
                    if not upper and not tok.isupper():
                        tok = tok.lower()
                    if not started:
                        tok = capitalize(tok)
                        started = True
                    toks[j] = tok
                out.append(String("".join(toks)))
            return MixedString(out) if len(out) != 1 else out[0]
        return text

    model.TextCased.case = case
