"""Fidelity patch: date ranges as citeproc-js renders them, seasons included.

citeproc-js prints a range by repeating only the date parts from the largest one that differs
down ("2 January–4 March 1999", "May 1–June 3, 2008", "Spring–Summer 1999"), joins the two
runs with that part's ``range-delimiter`` (en dash by default) and drops the suffix of the
first run's last part.  citeproc-py ignored ``range-delimiter``, dropped seasons from ranges
and lost the localized date's delimiter.
"""

from __future__ import annotations

#: Larger parts first: a range repeats every part from the largest that differs down.
_RANK = {"year": 0, "month": 1, "day": 2}
_EN_DASH = "\u2013"


def _value(date, part: str):
    if part == "month":
        return date.get("month") or ("season", date.get("season"))
    return date.get(part)


def range_seasons(date_parts: object) -> list[int | None] | None:
    """The season of each date of a range whose months are seasons (13-24), else None."""
    if not isinstance(date_parts, list) or len(date_parts) < 2:
        return None
    seasons: list[int | None] = []
    for part in date_parts[:2]:
        try:
            month = int(part[1]) if isinstance(part, list) and len(part) > 1 else None
        except (TypeError, ValueError):
            month = None
        seasons.append((month - 13) % 4 + 1 if month is not None and 13 <= month <= 24 else None)
    return seasons if any(seasons) else None


def patch_date_ranges(model) -> None:
    """``Date.render_date_range`` rewritten as above (a single date when both ends print the
    same)."""
    VariableError = model.VariableError
    join = model.join

    def render_date_range(self, date_range, show_parts=None, context=None):
        begin = date_range.begin
        end = date_range.get("end")
        shown = list(show_parts or ("year", "month", "day"))
        if end is None or end.is_nil():
            text = self.render_single_date(begin, shown, context)
            if text is None or end is None:
                return text
            # an open range ("1987–")
            year = next((n.get("range-delimiter") for n in self.iterchildren()
                         if n.get("name") == "year"), None)
            return str(text).rstrip() + (year or _EN_DASH)
        differ = [p for p in shown if _value(begin, p) != _value(end, p)]
        if not differ:
            return self.render_single_date(begin, shown, context)
        largest = min(differ, key=_RANK.__getitem__)
        nodes = [p for p in self.iterchildren() if p.get("name") in shown]
        style_context = context if self.is_locale_date() else self
        delimiter = self.get("delimiter") if self.is_locale_date() and self.get("delimiter") \
            else (style_context.get("delimiter", "") if style_context is not None else "")

        def render(node, date):
            try:
                return node.render(date, context) if context is not self else node.render(date)
            except VariableError:
                return None

        def run(date, last_suffix: bool):
            texts = []
            last = None
            for node in nodes:
                if _RANK[node.get("name")] < _RANK[largest]:
                    continue
                text = render(node, date)
                if text:
                    texts.append(str(text))
                    last = node
            if texts and not last_suffix and last is not None:
                suffix = last.get("suffix", "")
                if suffix and texts[-1].endswith(suffix):
                    texts[-1] = texts[-1][:-len(suffix)]
            return join(texts, delimiter) if texts else None

        pieces: list[str] = []
        placed = False
        for node in nodes:
            if _RANK[node.get("name")] >= _RANK[largest]:
                if not placed:
                    placed = True
                    first, second = run(begin, False), run(end, True)
                    if first is None or second is None:
                        return self.render_single_date(begin, shown, context)
                    # read after rendering: a part takes the style's overrides as it renders
                    delimiter_of = next((n.get("range-delimiter") for n in nodes
                                         if n.get("name") == largest), None)
                    pieces.append(str(first) + (delimiter_of or _EN_DASH) + str(second))
                continue
            text = render(node, begin)
            if text:
                pieces.append(str(text))
        return join(pieces, delimiter) if pieces else None

    model.Date.render_date_range = render_date_range

