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


_NS = "{http://purl.org/net/xbiblio/csl}"
_MATCHES = ("whole-number", "last-two-digits", "last-digit")


def _ordinal_table(root):
    """(CSL 1.0.1 table or None, term texts) as citeproc-js's ``localeSet`` builds them over the
    locales it merges, least specific first: a locale holding the ``ordinal`` term drops every
    ordinal term before it and installs its own table (match -> number -> gender-form -> term);
    a term of one gender-form only also stands for the term without one."""
    from .fidelity_terms import citeproc_js_locales

    table = None
    texts: dict[tuple[str, str | None], str] = {}
    for locale in reversed(citeproc_js_locales(root)):
        terms = locale.find(_NS + "terms")
        if terms is None:
            continue
        found = [t for t in terms.iterchildren(_NS + "term")
                 if (t.get("name") or "").startswith("ordinal") and t.get("form") in (None, "long")]
        if any(t.get("name") == "ordinal" for t in found):
            texts = {k: v for k, v in texts.items() if not k[0].startswith("ordinal")}
        own: dict[str, dict[str, dict[str, str]]] = {m: {} for m in _MATCHES}
        gendered: dict[str, set] = {}
        for term in found:
            name = term.get("name")
            gender = term.get("gender-form")
            texts[(name, gender)] = str(term.single or "")
            if gender:
                gendered.setdefault(name, set()).add(gender)
            if name == "ordinal":
                continue
            stub = name[8:]
            match = term.get("match") or ("last-digit" if stub[:1] == "0" else "last-two-digits")
            if stub[:1] == "0":
                stub = stub[1:]
            own[match].setdefault(stub, {})[gender or "neuter"] = name
        if any(t.get("name") == "ordinal" for t in found):
            for name, genders in gendered.items():
                if (name, None) not in texts:
                    for g in ("feminine", "masculine"):
                        if g in genders:
                            texts[(name, None)] = texts[(name, g)]
                            break
            table = own
    return table, texts


def patch_ordinal_table(model) -> None:
    """Ordinals as citeproc-js's ``Ordinalizer.format`` picks them from its CSL 1.0.1 table: the
    ``ordinal`` term, unless a whole-number, last-two-digits or last-digit term of the number's
    gender matches; a number variable's gender is its term's ``gender`` ("2.ª edición", a
    feminine noun, where ``ordinal-02`` is masculine only).  citeproc-py took the first
    ``ordinal-NN`` term of any gender and fell back to English.  Locales without the
    ``ordinal`` term keep citeproc-py's path."""
    original_to_ordinal = model.to_ordinal
    original_number = model.Number.process
    tables: dict[int, tuple[object, tuple]] = {}

    def to_ordinal(number, context):
        root = context.get_root()
        if getattr(root, "locales", None) is None:
            return original_to_ordinal(number, context)
        entry = tables.get(id(root))
        if entry is None or entry[0] is not root.locales:
            entry = tables[id(root)] = (root.locales, _ordinal_table(root))
        table, texts = entry[1]
        if table is None:
            return original_to_ordinal(number, context)
        gender = _Gender.current

        def term(name: str) -> str:
            if gender and (name, gender) in texts:
                return texts[(name, gender)]
            return texts.get((name, None), "")

        text = str(int(number))
        suffix = term("ordinal")
        for trial in ([gender] if gender else []) + ["neuter"]:
            for match, key in (("whole-number", text), ("last-two-digits", text[-2:]),
                               ("last-digit", text[-1:])):
                name = table[match].get(key, {}).get(trial)
                if name:
                    suffix = term(name)
                    break
            else:
                if suffix:
                    break
                continue
            if suffix:
                break
        return text + suffix

    def process(self, item, context=None, **kwargs):
        variable = self.get("variable")
        if self.get("form") != "ordinal" or _Gender.current is not None or variable in (None, "locator"):
            return original_number(self, item, context, **kwargs)
        found = self.get_term(variable)
        gender = found.get("gender") if found is not None else None
        if not gender:
            return original_number(self, item, context, **kwargs)
        _Gender.current = gender
        try:
            return original_number(self, item, context, **kwargs)
        finally:
            _Gender.current = None

    model.to_ordinal = to_ordinal
    model.Number.process = process
