"""Fidelity patch: ordinals agree in gender with the noun they count, as in citeproc-js.

A locale may give an ordinal term per ``gender-form`` (fr-FR: "1ʳᵉ" feminine, "1ᵉʳ"
masculine).  citeproc-js picks the form matching the ``gender`` of the term the number goes
with: for a day, the month's term ("1ᵉʳ octobre").  citeproc-py took whichever ordinal term
came first.
"""

from __future__ import annotations


class _Gender:
    """The gender the ordinal being rendered agrees with (None: no preference)."""

    current: str | None = None


def _ordinal(part, context) -> bool:
    """The day part renders as an ordinal (its own form, or the calling date's override)."""
    if part.get("form") == "ordinal":
        return True
    if context is None or context is part:
        return False
    return any(child.get("name") == "day" and child.get("form") == "ordinal"
               for child in context.iterchildren())


def patch_ordinal_gender(model) -> None:
    """``Locale.get_term`` prefers the ordinal of the current gender; ``Date_Part.process`` sets
    it to the month's gender while it renders an ordinal day."""
    original_term = model.Locale.get_term
    original_part = model.Date_Part.process

    def get_term(self, name, form=None, zero_padded=False):
        gender = _Gender.current
        if gender and form is None and name.startswith("ordinal"):
            expr = f"./cs:term[@name='{name}' and not(@form) and @gender-form='{gender}']"
            if zero_padded:
                expr = expr[:-1] + " and not(@match='whole-number') and not(@match='last-two-digits')]"
            try:
                found = self.terms.xpath_search(expr)
            except AttributeError:
                found = []
            if found:
                return found[0]
        return original_term(self, name, form, zero_padded)

    def process(self, date, context=None):
        if self.get("name") != "day" or _Gender.current is not None or not _ordinal(self, context):
            return original_part(self, date, context)
        try:
            month = date.month
        except (AttributeError, KeyError, model.VariableError):
            return original_part(self, date, context)
        try:
            term = (self if context is None else context).get_term(f"month-{int(month):02}")
            gender = term.get("gender") if term is not None else None
        except Exception:
            gender = None
        if not gender:
            return original_part(self, date, context)
        _Gender.current = gender
        try:
            return original_part(self, date, context)
        finally:
            _Gender.current = None

    model.Locale.get_term = get_term
    model.Date_Part.process = process
