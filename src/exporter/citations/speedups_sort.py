"""Speed facts for sort keys: which macros render the same inside a sort key as outside one.

A macro sort key is a full rendering of the key's macro with sort options (names in sort
order, dates as sort strings, name labels left out).  Only names and dates read the sort
options: a macro that reaches neither (in itself or in the macros it calls) prints the same
with or without them.  Such a macro also reads, of the variables a ``cs:substitute``
suppressed so far, only the text ones (``cs:text`` checks them; names and dates are what it
lacks), and suppresses none (only a ``cs:names`` does).  The macro cache (:mod:`.speedups`)
stores its rendering under that smaller state (:func:`plain_state`), so a bibliography renders
it once for the sort and takes it from the cache for the entry (the title, the archival
location, the document number), whatever names the entry has printed before it.  Used by the
speed patches only (off with ``EXPORTER_CITE_SPEEDUPS=0``).
"""

from __future__ import annotations

_CSL = "{http://purl.org/net/xbiblio/csl}"
_TEXT = _CSL + "text"
#: Elements that read the sort options (cs:label reads them only as a names label).
_SORT_READERS = frozenset(_CSL + tag for tag in ("names", "name", "date"))

_memo: dict[int, bool] = {}
_keep: dict[int, object] = {}


def same_when_sorting(macro) -> bool:
    """Whether ``macro`` (a citeproc-py ``Macro`` of a parsed style) renders the same with sort
    options as without: no ``cs:names``, ``cs:name`` or ``cs:date`` in it or in any macro it
    calls (a call of a macro the style does not define counts as reading them).  Read once per
    macro from the style, which is never modified after parsing."""
    ident = id(macro)
    found = _memo.get(ident)
    if found is not None:
        return found
    root = macro.getroottree().getroot()
    macros = {m.get("name"): m for m in root.iterchildren(_CSL + "macro")}
    found = True
    todo, seen = [macro], set()
    while todo and found:
        for element in todo.pop().iter():
            if not isinstance(element.tag, str):  # a comment
                continue
            if element.tag in _SORT_READERS:
                found = False
                break
            called = element.get("macro")
            if called is not None and called not in seen:
                seen.add(called)
                if called not in macros:
                    found = False
                    break
                todo.append(macros[called])
    _keep[ident] = macro  # the id stays this node's while the memo holds it
    _memo[ident] = found
    return found


def plain_state(macro, repressed: dict) -> tuple | None:
    """For a macro that renders the same when sorting (:func:`same_when_sorting`), the part of
    the layout's suppressed variables (``repressed``) its rendering can depend on: the text
    ones, as the macro cache keys them; None for any other macro."""
    if not same_when_sorting(macro):
        return None
    texts = repressed.get(_TEXT) if repressed else None
    return ((_TEXT, tuple(texts)),) if texts else ()
