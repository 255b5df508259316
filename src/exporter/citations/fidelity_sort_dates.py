"""Dates in macro sort keys, as citeproc-js renders them.

citeproc-js builds the macros a ``cs:key`` calls a second time for sorting, and there:

* every ``cs:date`` renders as its sort string (``CSL.dateMacroAsSortKey``): for the begin and
  the end of the date, the year as "1" and four digits ("0" and 9999 minus the year before the
  common era), the month and the day as two digits, "00" for a part the element does not show
  or the date lacks (12 April 1918: ``119180412100000000``); a date without a year prints
  nothing;
* a macro that holds a ``cs:date`` prints nothing but its dates' sort strings
  (``doing-macro-with-date``: the output queue drops every other piece, the circa term and the
  affixes included).

So MLA's bibliography sorts two works of one author and title by the date of the manuscript
("Circa 12 Apr. 1918") before the publisher of the book ("Издательство Академии наук, 1919"):
digits sort before letters, in every locale.  citeproc-py rendered the date as printed
("Около 12 апрель 1918 г." sorted after "Издательство" in Russian).
"""

from __future__ import annotations

_DATE = "{http://purl.org/net/xbiblio/csl}date"
_PART = "{http://purl.org/net/xbiblio/csl}date-part"


class _Capture:
    """The date sort strings of the date macros being rendered as sort keys (one list each)."""

    stack: list[list[str]] = []


#: Public name of the capture state (the macro cache renders afresh while it is not empty).
CAPTURE = _Capture


def _shown_parts(element) -> tuple[str, ...]:
    """The date parts a ``cs:date`` shows: its ``date-parts`` for a localized date, else its
    ``cs:date-part`` children (citeproc-js's ``token.dateparts``)."""
    if element.get("form") is not None:
        return tuple((element.get("date-parts") or "year-month-day").split("-"))
    return tuple(p.get("name") for p in element.iterchildren(_PART) if p.get("name") in ("year", "month", "day"))


def _number(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def sort_string(value, parts: tuple[str, ...]) -> str:
    """The sort string of a citeproc-py ``Date`` or ``DateRange`` (empty without a year)."""
    from citeproc.source import Date, DateRange

    if isinstance(value, DateRange):
        begin, end = dict.get(value, "begin"), dict.get(value, "end")
    elif isinstance(value, Date):
        begin, end = value, None
    else:  # a literal date has no year
        return ""
    if not isinstance(begin, Date) or not _number(dict.get(begin, "year")):
        return ""
    out = []
    for date in (begin, end):
        for part in ("year", "month", "day"):
            number = _number(dict.get(date, part)) if isinstance(date, Date) and part in parts else 0
            if part == "year":
                out.append(f"0{9999 + number:04d}" if number < 0 else f"1{number:04d}")
            else:
                out.append(f"{number:02d}")
    return "".join(out)


def patch_sort_dates(model) -> None:
    """``Date.render`` and ``Macro.render`` under sort options, as above."""
    from citeproc.string import String

    original_date = model.Date.render
    original_macro = model.Macro.render
    has_date: dict[int, bool] = {}
    keep: dict[int, object] = {}

    def date_render(self, item, *args, **kwargs):
        if not kwargs.get("sort_options") or self.is_locale_date():
            return original_date(self, item, *args, **kwargs)
        variable = (self.get("variable") or "").replace("-", "_")
        # (read with .get: the macro cache records the fields a rendering reads)
        value = item.reference.get(variable) if variable else None
        text = sort_string(value, _shown_parts(self))
        for captured in _Capture.stack:
            captured.append(text)
        return String(text) if text else None

    def macro_render(self, item, context=None, sort_options=None):
        if not sort_options:
            return original_macro(self, item, context, sort_options)
        key = id(self)
        if key not in has_date:
            keep[key] = self
            has_date[key] = next(self.iter(_DATE), None) is not None
        if not has_date[key]:
            return original_macro(self, item, context, sort_options)
        _Capture.stack.append([])
        try:
            original_macro(self, item, context, sort_options)
        finally:
            dates = _Capture.stack.pop()
        text = "".join(dates)
        return String(text) if text else None

    model.Date.render = date_render
    model.Macro.render = macro_render
