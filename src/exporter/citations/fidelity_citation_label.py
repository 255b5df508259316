"""``citation-label``: the record's own, or a trigraph made from its names and year, as
citeproc-js makes it ("Asth00", "BrCh98", "DEFG26"), with the year suffix appended when
disambiguation gave one ("Aalt02a").  citeproc-py printed only a label the record carried,
and never a suffix after it.
"""

from __future__ import annotations

import re

#: citeproc-js's default trigraph: one name, two, three, four or more; "0" a digit of the year.
TRIGRAPH = "Aaaa00:AaAa00:AaAA00:AAAA00"

#: citeproc-js's ``CSL.NAME_VARIABLES`` order: the first one a record has makes the label.
NAME_VARIABLES = ("author", "chair", "collection_editor", "compiler", "composer", "container_author",
                  "contributor", "curator", "director", "editor", "editor_translator",
                  "editorial_director", "executive_producer", "guest", "host", "illustrator",
                  "interviewer", "narrator", "organizer", "original_author", "performer", "producer",
                  "recipient", "reviewed_author", "script_writer", "series_creator", "translator",
                  "commenter")

_LEADING_LOWER = re.compile(r"^([ '\u2019a-z]+\s+)")
_ARTICLE = re.compile(r"^(a\s+|the\s+|an\s+)")
_NOT_ROMANESQUE = re.compile(
    "[^a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4\u05d6-\u05ff"
    "\u1f00-\u1fff\u0600-\u06ff\u200c\u200d\u200e\u0218\u0219\u021a\u021b\u202a-\u202e]")


def _params(trigraph: str = TRIGRAPH) -> list[tuple[list[int], int]]:
    out = []
    for spec in trigraph.split(":"):
        authors: list[int] = []
        year = 0
        for ch in spec:
            if ch == "A":
                authors.append(1)
            elif ch == "a":
                authors[-1] += 1
            elif ch == "0":
                year += 1
        out.append((authors, year))
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:].lower()


def _get(mapping, key: str):
    """A value of a citeproc-py Reference, Name or Date (dicts whose attribute look-up raises
    for a missing key), or None."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def trigraph(reference) -> str:
    """The label citeproc-js's ``getCitationLabel`` makes for a citeproc-py Reference."""
    params = _params()
    label = ""
    for variable in NAME_VARIABLES:
        names = _get(reference, variable)
        if not names:
            continue
        authors, _year = params[min(len(names), len(params)) - 1]
        for j, name in enumerate(names):
            if j == len(authors):
                break
            family = _get(name, "family")
            if family:
                particle = _get(name, "non-dropping-particle")
                text = _LEADING_LOWER.sub("", str(family) if not particle else f"{particle} {family}")
            else:
                text = str(_get(name, "literal") or _get(name, "name") or "")
            m = _ARTICLE.match(text.lower())
            if m:
                text = text[len(m.group(1)):]
            text = _NOT_ROMANESQUE.sub("", text)
            if not text:
                break
            label += _cap(text[:authors[j]])
        break
    if not label:
        title = _get(reference, "title")
        if title:
            label = _cap("".join(str(title).split())[:params[0][0][0]])
    year = "0000"
    issued = _get(reference, "issued")
    begin = _get(issued, "begin") or issued
    if begin is not None and _get(begin, "year"):
        year = str(_get(begin, "year"))
    authors, digits = params[0]
    return label + year[-digits:]


def patch_citation_label(model) -> None:
    """``<text variable="citation-label"/>`` prints the record's label or its trigraph, and the
    year suffix after it (the suffix is then not added after a year: citeproc-js); a
    ``<key variable="citation-label"/>`` sorts by the same label."""
    original = model.Text._variable
    String = model.String

    def _variable(self, item, context):
        if self.get("variable") != "citation-label":
            return original(self, item, context)
        reference = item.reference
        label = _get(reference, "citation_label") or trigraph(reference)
        suffix = dict.get(reference, "year_suffix") if isinstance(reference, dict) else None
        return String(str(label) + (str(suffix) if suffix else ""))

    model.Text._variable = _variable
    original_keys = model.Key.sort_keys

    def sort_keys(self, items, context):
        # a sort key on the label sorts by the label without its suffix, made if need be
        if self.get("variable") != "citation-label":
            return original_keys(self, items, context)
        return [str(_get(item.reference, "citation_label") or trigraph(item.reference)) for item in items]

    model.Key.sort_keys = sort_keys
