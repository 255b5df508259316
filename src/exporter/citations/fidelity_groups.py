"""Fidelity patch: a macro called by ``cs:text`` is a group, as in citeproc-js.

citeproc-js expands ``<text macro="m"/>`` into a ``cs:group`` holding the macro's children, so
the group rule applies to it: a macro that calls variables and renders none of them prints
nothing ("His Anonymous Life", not "His Anonymous Life, in " when a chapter has no
container title).  citeproc-py joined whatever the children rendered, terms included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Set by the speed patches: a function giving a node's children as (child, is a cs:choose,
#: calls a variable) read once per node, or None (read for every rendering).
CHILD_FACTS: Callable[[Any], tuple | None] | None = None


def patch_macro_as_group(model) -> None:
    """``Macro.render`` suppresses its output when it calls variables and none of the children
    that call them rendered (the ``cs:group`` rule)."""
    Choose = model.Choose
    VariableError = model.VariableError
    join = model.join

    def render(self, item, context=None, sort_options=None, delimiter=""):
        # (child, is cs:choose, calls a variable): read once per node under the speed patches
        facts = CHILD_FACTS(self) if CHILD_FACTS is not None else None
        if facts is None:
            facts = tuple((child, isinstance(child, Choose), child.calls_variable()) for child in self.iterchildren())
        output = []
        called = rendered = False
        for child, is_choose, calls in facts:
            called = called or calls
            try:
                if is_choose:
                    text = child.render(item, context=context, sort_options=sort_options,
                                        delimiter=delimiter)
                else:
                    text = child.render(item, context=context, sort_options=sort_options)
            except VariableError:
                continue
            if text is not None:
                output.append(text)
                rendered = rendered or calls
        if not output or (called and not rendered):
            return None
        return join(output, delimiter)

    model.Macro.render = render


#: CSL 1.0.2 name variables citeproc-py 0.11.1 does not know (it kept their values as raw data).
_MORE_NAMES = ("chair", "compiler", "contributor", "curator", "director", "editor_translator",
               "executive_producer", "guest", "host", "narrator", "organizer", "performer",
               "producer", "reviewed_author", "script_writer", "series_creator")


def patch_name_variables(model) -> None:
    """The name variables above are read and rendered as names ("Review of *My Title*, by
    Beaver Burtle"), as citeproc-js does.  citeproc-py's lists are extended in place (its
    reader and ``cs:names`` share them)."""
    import citeproc

    for name in _MORE_NAMES:
        if name not in citeproc.NAMES:
            citeproc.NAMES.append(name)
        if name not in citeproc.VARIABLES:
            citeproc.VARIABLES.append(name)


def hyphenated_names(ref) -> None:
    """A record's names of a hyphenated variable (``container-author``, ``reviewed-author``)
    also under the name ``cs:names`` looks them up by: citeproc-py's ``Names.process`` tests
    ``"container-author" in reference`` while its reader stores ``container_author``, so
    those names were never printed."""
    import citeproc

    for key in [k for k in dict.keys(ref) if "_" in k and k in citeproc.NAMES]:
        dict.__setitem__(ref, key.replace("_", "-"), dict.__getitem__(ref, key))
