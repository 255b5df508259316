"""Fidelity patches: ``number-of-volumes`` labelled with the "volume" term; ``form="count"``
counts the names of every variable (two units, installed by :mod:`.fidelity`'s ``PATCHES``;
a label of a variable the record lacks prints nothing: ``fidelity.patch_empty_label``).
"""

from __future__ import annotations


def patch_volumes_label(model) -> None:
    """``<label variable="number-of-volumes"/>`` prints the "volume" term, plural for more than
    one ("volumes 2"), as citeproc-js does; citeproc-py looked for a term of that name and
    printed nothing."""
    original = model.Label.render

    def render(self, item, *args, **kwargs):
        if not args and self.get("variable") == "number-of-volumes":
            try:
                value = item.reference["number_of_volumes"]
            except Exception:
                return None
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
