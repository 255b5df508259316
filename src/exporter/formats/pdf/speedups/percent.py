"""weasyprint 70.0's ``resolve_percentages`` without two Python calls per property.

Layout resolves the used margins, paddings and sizes of every box from its computed style each
time the box is laid out (some 1,100 times and 15,000 properties per ten-page export), through
``resolve_one_percentage`` and ``percentage`` for each property.  :func:`make` builds the same
function with those two inlined: the same values, computed by the same expressions in the same
order, set on the box in the same order.  Anything but a plain length or percentage (``calc()``
and the other math functions) still goes through weasyprint's ``percentage``; the box-sizing
adjustment is weasyprint's own.

The values set are kept on the style (for the render, which owns the style), per size of the
containing block: a box of the same style in a block of the same size (the next line of a
paragraph, a box laid out again after a page break) takes them as they are.  Not with collapsed
table borders, whose widths the box itself may hold.
"""

from __future__ import annotations

from collections.abc import Callable
from math import inf
from typing import Any

#: The lengths set first, in weasyprint's order (then the border widths).
_LENGTHS = ("margin_left", "margin_right", "margin_top", "margin_bottom", "padding_left", "padding_right",
            "padding_top", "padding_bottom", "width", "min_width", "max_width", "height", "min_height",
            "max_height")
_BORDERS = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")
#: Every attribute the function sets, in its order.
_SET = _LENGTHS + _BORDERS


class _Content:
    """The reference of ``height`` in a block whose height depends on its content."""


_CONTENT = _Content()


def make(percent: Any, boxes: Any) -> Callable[[Any, Any], None]:
    """The faster ``resolve_percentages`` for weasyprint's ``layout.percent`` and ``boxes`` modules."""
    percentage = percent.percentage
    adjust_box_sizing = percent.adjust_box_sizing
    check_math = percent.check_math
    Box, PageBox = boxes.Box, boxes.PageBox

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        """Set used values as attributes of the box object (weasyprint's function, inlined)."""
        if isinstance(containing_block, Box):
            cb_width = containing_block.width
            cb_height = containing_block.height
        else:
            cb_width, cb_height = containing_block
        page = isinstance(box, PageBox)
        style = box.style
        # The used values are a function of the style and the containing block's size (and its
        # type: an int and a float of the same value can give a calc() of different types).
        key = (cb_width, cb_height, cb_width.__class__, cb_height.__class__, page)
        kept = style.__dict__.get("exporter_used")
        if kept is not None:
            values = kept.get(key)
            if values is not None:
                box.__dict__.update(values)
                return
        # What 100% is for each of _LENGTHS: vertical margins and paddings refer to the inline
        # size, except on a page.
        vertical = cb_height if page else cb_width
        w = cb_width
        refers = ((w, w, vertical, vertical, w, w, vertical, vertical, w, w, w, cb_height, cb_height, cb_height)
                  if cb_height != "auto" else
                  (w, w, vertical, vertical, w, w, vertical, vertical, w, w, w, _CONTENT, 0, inf))
        for name, refer_to in zip(_LENGTHS, refers):
            value = style[name]
            if refer_to is _CONTENT:
                if value == "auto" or check_math(value) or value.unit == "%":
                    box.height = "auto"
                else:
                    assert value.unit.lower() == "px"
                    box.height = value.value
                continue
            # weasyprint's resolve_one_percentage and percentage
            if value is None or value == "auto":
                result = value
            else:
                unit = getattr(value, "unit", None)
                if unit is None:
                    result = percentage(value, style, refer_to)
                elif unit == "%":
                    result = refer_to * value.value / 100
                else:
                    result = value.value
            setattr(box, name, result)
            if result == "auto" and (name == "min_width" or name == "min_height"):
                setattr(box, name, 0)

        collapse = style["border_collapse"] == "collapse"
        for prop in _BORDERS:
            # set during border conflict resolution for collapsed borders
            if not (collapse and hasattr(box, prop)):
                setattr(box, prop, style[prop])

        adjust_box_sizing(box, "width")
        adjust_box_sizing(box, "height")
        if not collapse:  # collapsed borders depend on the box, not only on its style
            attributes = box.__dict__
            if kept is None:
                kept = style.__dict__["exporter_used"] = {}
            kept[key] = {name: attributes[name] for name in _SET}

    return resolve_percentages
