"""Fidelity patches: a ``cs:label`` prints nothing without its variable; ``form="count"``
counts the names of every variable (two units, installed by :mod:`.fidelity`'s ``PATCHES``).

citeproc-py printed the term of a standalone label whatever the record held, so a style with
``<label variable="page"/>`` before ``<text variable="page"/>`` gave "p. ." for a record without
pages, and ``<label variable="locator"/>`` a "p." for a cite without a locator.  citeproc-js
renders a label only when its variable has a value (and labels ``number-of-volumes`` with the
"volume" term).
"""

from __future__ import annotations


def patch_label_needs_variable(model) -> None:
    """``Label.render``: nothing when the label's own variable is empty (a label inside
    ``cs:names``, called with the names' variable, is left to citeproc-py)."""
    original = model.Label.render

    def render(self, item, *args, **kwargs):
        if not args:
            variable = self.get("variable")
            if variable == "locator":
                if not item.has_locator:
                    return None
            elif variable:
                try:
                    value = item.reference[variable.replace("-", "_")]
                except Exception:
                    return None
                if value in (None, ""):
                    return None
                if variable == "number-of-volumes":
                    # the "volume" term, plural for more than one (citeproc-js: "volumes 2")
                    try:
                        plural = int(str(value)) > 1
                    except ValueError:
                        plural = False
                    return original(self, item, "volume", plural, **kwargs)
        return original(self, item, *args, **kwargs)

    model.Label.render = render


def patch_name_count(model) -> None:
    """``<name form="count"/>`` of ``<names variable="author editor">`` is the sum of the
    counts (citeproc-js: "5"); citeproc-py formatted each count as text first and joined them
    ("32")."""
    original = model.Name.markup

    def markup(self, text):
        if isinstance(text, int) and not isinstance(text, bool):
            return text if text else None  # Names.process sums the counts of its variables
        return original(self, text)

    model.Name.markup = markup
