"""Driver step: a label typed at the start of a cite's locator, as citeproc-js reads it.

citeproc-js (``locator_label_parse``, on by default) takes "vol. 1, fol. 186" with no label, or
the default ``page``, as the label ``volume`` and the locator "1, fol. 186" when the locale has
the term (``CSL.LOCATOR_LABELS_REGEXP`` / ``LOCATOR_LABELS_MAP``; not for legal types, whose
locators it parses otherwise).  Its number parser then counts a label's plural on the numbers
up to the next label embedded in the field ("1, fol. 186": one volume).
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: citeproc-js's ``CSL.LOCATOR_LABELS_MAP``: the abbreviations read as labels, and their terms.
LABELS = {
    "vrs": "verse", "sv": "sub-verbo", "subpara": "subparagraph", "op": "opus",
    "subch": "subchapter", "add": "addendum", "amend": "amendment", "annot": "annotation",
    "app": "appendix", "art": "article", "bibliog": "bibliography", "bk": "book", "ch": "chapter",
    "cl": "clause", "col": "column", "cmt": "comment", "dec": "decision", "dept": "department",
    "ex": "example", "fig": "figure", "fld": "field", "fol": "folio", "n": "note",
    "hypo": "hypothetical", "illus": "illustration", "intro": "introduction", "l": "line",
    "no": "issue", "p": "page", "pp": "page", "para": "paragraph", "pt": "part",
    "pmbl": "preamble", "princ": "principle", "pub": "publication", "r": "rule",
    "rn": "randnummer", "sched": "schedule", "sec": "section", "ser": "series,",
    "subdiv": "subdivision", "subsec": "subsection", "supp": "supplement", "tbl": "table",
    "tit": "title", "vol": "volume",
}
_ALTERNATIVES = "|".join(LABELS)
#: ``CSL.LOCATOR_LABELS_REGEXP``: a label at the start, then at least one space.
_LEADING = re.compile(rf"^(({_ALTERNATIVES})\.)\s+(.*)", re.S)
#: ``CSL.STATUTE_SUBDIV_PLAIN_REGEX``: a label inside the field.
_EMBEDDED = re.compile(rf"(?:^| )(?:{_ALTERNATIVES})\. *")
#: types whose locators citeproc-js parses as statute subdivisions instead
_LEGAL = frozenset(("bill", "gazette", "legislation", "regulation", "treaty"))


def parse_label(cite: dict, record_type: object, has_term: Callable[[str], bool]) -> dict:
    """``cite`` with a label typed at the start of its locator taken as its label, when it has no
    label or ``page`` and the locale has the term (``has_term``); else ``cite`` unchanged."""
    locator = cite.get("locator")
    if not isinstance(locator, str) or record_type in _LEGAL or cite.get("label") not in (None, "", "page"):
        return cite
    m = _LEADING.match(locator)
    if not m:
        return cite
    label = LABELS[m.group(2)]
    if not has_term(label):
        return cite
    return dict(cite, label=label, locator=m.group(3))


def labelled_groups(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """``text`` split at the labels typed inside it (not at its start): the part before the
    first, and (joining text before the label, the label's term, its value) for each
    ("7, p. 3-8" -> "7", [(", ", "page", "3-8")])."""
    found = [m for m in _EMBEDDED.finditer(text) if m.start() > 0]
    if not found:
        return text, []
    head = text[:found[0].start()]
    stripped = head.rstrip(" ,;&")
    groups = []
    joiner = head[len(stripped):]
    for n, m in enumerate(found):
        end = found[n + 1].start() if n + 1 < len(found) else len(text)
        value = text[m.end():end]
        rest = value.rstrip(" ,;&")
        groups.append((joiner + (" " if not joiner.endswith(" ") else ""),
                       LABELS[m.group().strip().rstrip(".")], rest))
        joiner = value[len(rest):]
    return stripped, groups


def first_group(locator: str) -> str:
    """The part of a locator its label counts for: up to the next label embedded in it."""
    m = _EMBEDDED.search(locator)
    return locator[:m.start()] if m and m.start() > 0 else locator
