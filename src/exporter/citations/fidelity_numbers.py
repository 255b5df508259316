"""Fidelity patches: hyphens in page numbers and locators, and their label's plural, as
citeproc-js reads them.

citeproc-js treats ``A-B`` as a range (an en dash, a plural label) only when both ends are
numbers, arabic or roman ("1–2", "i–ix", "N110–N115"); otherwise the hyphen is part of the
value and the label stays singular ("page 3-B", "page Michaelson-Morely"), and an escaped
hyphen (``327\\-30``) is always a plain one.  A locator range is printed whole ("427–430")
unless the style sets ``page-range-format``.  citeproc-py turned every hyphen into an en
dash, kept the backslash, and counted any two digits apart as plural.
"""

from __future__ import annotations

import re
import unicodedata

from .fidelity_pages import format_range
from .locator_labels import first_group, labelled_groups

_EN_DASH = "\u2013"
_NUMERIC = re.compile(r"^(?:[A-Za-z]*\d+[A-Za-z]*|[ivxlcdm]+|[IVXLCDM]+)$")
#: Number variables citeproc-js prints through its number parser (ranges get an en dash).
_NUMBER_VARIABLES = frozenset(("volume", "issue", "number", "chapter-number", "collection-number",
                               "edition", "number-of-pages", "number-of-volumes", "part-number",
                               "supplement-number"))
_SEPARATORS = re.compile(r"(\s*[,&]\s*)")
_RANGE = re.compile(r"^\s*(\S+?)\s*[-\u2013]\s*(\S+?)\s*$")


def numeric(text: str) -> bool:
    """A page number citeproc-js counts as a number (arabic with letters around, or roman)."""
    return bool(_NUMERIC.match(text.strip()))


def is_range(item: str) -> bool:
    """``item`` is a range of two numbers (an escaped hyphen is never one)."""
    if "\\-" in item:
        return False
    m = _RANGE.match(item)
    return bool(m and numeric(m.group(1)) and numeric(m.group(2)))


def is_plural(value: str) -> bool:
    """More than one number: a list (``,`` ``&``, "and") of numbers, or a range of two numbers
    (not a hyphen that joins a word, nor an escaped one)."""
    if "-" not in value and _EN_DASH not in value:
        return re.search(r"\d+[^\d.]+\d+", value) is not None or is_range(value)
    items = [p for p in _SEPARATORS.split(value) if p.strip() and not _SEPARATORS.fullmatch(p)]
    if len(items) > 1:
        return sum(1 for p in items if any(c.isdigit() for c in p) or numeric(p)) > 1
    return bool(items) and is_range(items[0])


def _word(text: str) -> bool:
    return not any(c.isdigit() for c in text) and not numeric(text)


def literal(item: str) -> str | None:
    """``item`` as written when its hyphen joins no numbers (escaped, or an end that is a word:
    "3-B", "Michaelson-Morely"); None when it needs number formatting."""
    if "\\-" in item:
        return item.replace("\\-", "-")
    m = _RANGE.match(item) if ("-" in item or _EN_DASH in item) else None
    if m and (_word(m.group(1)) or _word(m.group(2))):
        return item.strip()
    return None


def patch_number_hyphens(model) -> None:
    """``FormatNumber._process`` (page and number variables) keeps non-range hyphens and
    escaped hyphens as written; ``Text`` prints a locator the same way, its numeric ranges with
    an en dash, whole or in the style's ``page-range-format``; ``Label`` is plural by
    :func:`is_plural`."""
    original_process = model.FormatNumber._process
    original_variable = model.Text._variable

    def _process(self, value, variable):
        text = str(value)
        if "-" not in text and _EN_DASH not in text:
            return original_process(self, value, variable)
        pieces = _SEPARATORS.split(text)
        if not any(literal(p) is not None for p in pieces if not _SEPARATORS.fullmatch(p)):
            return original_process(self, value, variable)
        out = []
        for piece in pieces:
            if _SEPARATORS.fullmatch(piece) or not piece:
                out.append(piece)
                continue
            kept = literal(piece)
            out.append(kept if kept is not None else str(original_process(self, piece, variable)))
        return model.String("".join(out))

    def _variable(self, item, context):
        variable = self.get("variable")
        if variable in _NUMBER_VARIABLES:
            text = original_variable(self, item, context)
            # a number variable's range of numbers takes an en dash ("n. 3–4")
            if text and "-" in str(text) and "\\-" not in str(text) and is_range(str(text)):
                return model.String(str(text).replace("-", _EN_DASH))
            return text
        if variable != "locator":
            return original_variable(self, item, context)
        identifier = str(item.locator.identifier)
        if "-" not in identifier and _EN_DASH not in identifier and "&" not in identifier:
            return original_variable(self, item, context)
        pieces = [p for p in _SEPARATORS.split(identifier) if p and not _SEPARATORS.fullmatch(p)]
        if "&" not in identifier and not any(is_range(p) or literal(p) is not None for p in pieces):
            return original_variable(self, item, context)
        # "&" between numbers is the locale's "and" symbol (citeproc-js)
        ampersand = self.get_single_term(name="and", form="symbol") or "&"
        # (citeproc-py's option defaults to "expanded", as citeproc-js prints a locator range)
        range_format = self.get_root().get_option("page-range-format") or "expanded"
        delimiter = self.get_single_term(name="page-range-delimiter") or unicodedata.lookup("EN DASH")
        out = []
        for piece in _SEPARATORS.split(identifier):
            if _SEPARATORS.fullmatch(piece) or not piece:
                out.append(piece.replace("&", str(ampersand)))
            elif (kept := literal(piece)) is not None:
                out.append(kept)
            elif is_range(piece):
                out.append(format_range(piece, range_format, str(delimiter))
                           or piece.replace("-", _EN_DASH))
            else:
                out.append(piece.replace("-", _EN_DASH))
        return model.String("".join(out))

    def _is_plural(self, item):
        variable = self.get("variable")
        if variable == "locator":
            # the label counts the numbers up to the next label typed in the locator (citeproc-js)
            value = first_group(str(item.locator.identifier))
        else:
            try:
                value = item.reference[variable.replace("-", "_")]
            except model.VariableError:
                return False
        if variable.startswith("number-of"):
            try:
                return int(str(value)) > 1
            except ValueError:
                return False
        return is_plural(str(value))

    model.FormatNumber._process = _process
    model.Text._variable = _variable
    model.Label._is_plural = _is_plural


#: Where the driver keeps a record's field values as typed, before rich text was read in them.
TYPED = "exporter_typed"
#: A value citeproc-js's number parser takes as a number: ``parseInt`` reads it (leading digits,
#: after an optional sign and spaces), or it is all roman numerals.
_PARSE_INT = re.compile(r"^\s*[-+]?\d|^[ivxlcmIVXLCM]+$")


def patch_number_markup(model) -> None:
    """``Number.process`` prints a number variable that citeproc-js reads as a number as typed,
    its tags as text ("1&#60;sup&#62;er&#60;/sup&#62;"): citeproc-js's ``cs:number`` appends
    such a value as a ``NumericBlob``, which its flip-flopper never parses for rich text (a value
    that is not a number still is)."""
    original = model.Number.process

    def process(self, item, context=None, **kwargs):
        variable = self.get("variable")
        if variable not in ("locator", "page-first"):
            try:
                typed = item.reference[TYPED]
            except (KeyError, model.VariableError):
                typed = None
            raw = typed.get(variable) if isinstance(typed, dict) else None
            if raw is not None and _PARSE_INT.match(raw):
                return self._process(model.String(raw), variable)
        return original(self, item, context, **kwargs)

    model.Number.process = process


def patch_embedded_labels(model) -> None:
    """``FormatNumber._process`` prints a label typed inside a number variable ("7, p. 3-8") as
    citeproc-js's number parser does: the numbers before it in the element's form ("7th"), the
    label as its term's short form, plural for more than one number ("pp."), and the numbers
    after it plain, a range with an en dash ("7th, pp. 3–8")."""
    original = model.FormatNumber._process

    def _process(self, value, variable):
        text = str(value)
        if variable in ("locator", "page", "page-first") or "." not in text:
            return original(self, value, variable)
        head, groups = labelled_groups(text)
        if not groups:
            return original(self, value, variable)
        out = [str(original(self, model.String(head), variable))]
        for joiner, term, numbers in groups:
            found = self.get_term(term, "short")
            label = "" if found is None else str(found.multiple if is_plural(numbers) else found.single)
            if is_range(numbers):
                numbers = re.sub(r"\s*-\s*", _EN_DASH, numbers, count=1)
            out.append(joiner + (label + " " if label else "") + numbers)
        return model.String("".join(out))

    model.FormatNumber._process = _process
