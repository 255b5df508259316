"""The order of the cites of a citation whose cites are grouped by author, as citeproc-js sorts them.

citeproc-js (``processCitationCluster``, its "grouped sort"; the flag ``opt.grouped_sort`` is set
where ``cs:citation`` ends) does not sort such a citation by the style's keys alone:

1. the cites are sorted by their *author string* (the names the cite prints first, as printed
   after disambiguation, compared by the collator: spaces and punctuation ignored), then by the
   style's keys;
2. each run of cites with the same author string is given the first key of its first cite
   followed by the cite's place in that order (``"" + thiskey + i``), and the cites are sorted
   again by that.

So ``(Эрн, 1919; Эрн et al., 1918; Эрн & Астров, 1918)``: "Эрн" 1919 precedes "Эрн et al." 1918,
which sorts after it by author string although its date is earlier, and both precede "Эрн &
Астров", whose first key ("Эрн В. Астров Н. И.") is greater.  A key citeproc-js finds empty is
``undefined`` there, so the run's key reads "undefined0".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cmp_to_key

from .style_reach import reaches


def applies(style) -> bool:
    """Whether citeproc-js sorts the style's citations grouped: an in-text style that collapses,
    or a style with a ``cite-group-delimiter`` whose citation tests no position, no different
    ``et-al-subsequent-*`` and prints no citation number (its ``update_mode`` is neither
    ``POSITION`` nor ``NUMERIC``)."""
    cached = getattr(style, "grouped_sort", None)
    if cached is not None:
        return bool(cached)
    root = style.root
    citation = root.citation
    result = False
    if root.get("class") != "note" and citation.get("collapse"):
        result = True
    elif citation.get("cite-group-delimiter"):
        result = not (_tests_position(root) or _citation_prints_number(root) or _subsequent_differs(root))
    style.grouped_sort = result
    return result


def _tests_position(root) -> bool:
    return bool(root.xpath("//cs:if[@position] | //cs:else-if[@position]", namespaces=root.nsmap))


def _citation_prints_number(root) -> bool:
    return reaches(root, root.citation.layout, ".//cs:text[@variable='citation-number']")


def _subsequent_differs(root) -> bool:
    for element in root.xpath("//cs:citation | //cs:names | //cs:name | //cs:style", namespaces=root.nsmap):
        for which in ("min", "use-first"):
            subsequent = element.get(f"et-al-subsequent-{which}")
            if subsequent is not None and subsequent != element.get(f"et-al-{which}"):
                return True
    return False


def order(count: int, authors: Sequence[str | None], compare: Callable[[int, int], int],
          first_value: Callable[[int], object], descending: bool, collate: Callable[[str], tuple]) -> list[int]:
    """The indexes of ``count`` cites in citeproc-js's grouped order.  ``authors``: each cite's
    author string (None when it prints no names); ``compare``: the style's keys compared as
    citeproc-js compares them; ``first_value``: a cite's first key value (None when empty, else
    ``(kind, number, collation tokens)``); ``descending``: the first key's direction;
    ``collate``: the collation tokens of a text."""
    sign = -1 if descending else 1
    author_keys = [None if a is None else collate("".join(a.split())) or None for a in authors]

    def by_author(a: int, b: int) -> int:
        x, y = author_keys[a], author_keys[b]
        if x != y:
            if x is None:  # undefined sorts last, whatever the direction (citeproc-js)
                return sign
            if y is None:
                return -sign
            return sign * (-1 if x < y else 1)
        return compare(a, b)

    first = sorted(range(count), key=cmp_to_key(by_author))
    group_keys: dict[int, tuple] = {}
    last: object = False
    lead = 0
    for place, i in enumerate(first):
        if place == 0 or authors[i] != last:
            lead = i
        last = authors[i]
        value = first_value(lead)
        if isinstance(value, tuple) and value[0] == 1:
            # the key's text and the place: "Эрн|В.|" + "1" is "Эрн|В.|1"
            group_keys[i] = (1, 0, tuple(value[2]) + ((1, place, ""), (0, 0, "")))
        elif value is None:
            group_keys[i] = (1, 0, collate(f"undefined{place}"))
        else:
            group_keys[i] = (value, place)

    def by_group(a: int, b: int) -> int:
        x, y = group_keys[a], group_keys[b]
        try:
            less = x < y
        except TypeError:  # a number and a text: citeproc-js compares both as text
            less = str(x) < str(y)
        return 0 if x == y else sign * (-1 if less else 1)

    return sorted(first, key=cmp_to_key(by_group))
