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

#: The properties set first, in weasyprint's order; True: the box's height is the reference when
#: the box is a page (its inline size otherwise, as in CSS).
_SIDES = (("margin_left", False), ("margin_right", False), ("margin_top", True), ("margin_bottom", True),
          ("padding_left", False), ("padding_right", False), ("padding_top", True), ("padding_bottom", True),
          ("width", False), ("min_width", False), ("max_width", False))
_BORDERS = ("border_top_width", "border_right_width", "border_bottom_width", "border_left_width")
#: Every attribute the function sets, in its order.
_SET = tuple(name for name, _ in _SIDES) + ("height", "min_height", "max_height") + _BORDERS


def make(percent: Any, boxes: Any) -> Callable[[Any, Any], None]:
    """The faster ``resolve_percentages`` for weasyprint's ``layout.percent`` and ``boxes`` modules."""
    percentage = percent.percentage
    adjust_box_sizing = percent.adjust_box_sizing
    check_math = percent.check_math
    Box, PageBox = boxes.Box, boxes.PageBox

    def used(box: Any, style: Any, name: str, refer_to: Any) -> None:
        # weasyprint's resolve_one_percentage and percentage, for the rarer properties
        value = style[name]
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
        maybe_height = cb_height if page else cb_width
        for name, vertical in _SIDES:
            refer_to = maybe_height if vertical else cb_width
            value = style[name]
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
            if result == "auto" and name == "min_width":
                setattr(box, name, 0)

        if cb_height == "auto":
            # The containing block's height depends on its content.
            height = style["height"]
            if height == "auto" or check_math(height) or height.unit == "%":
                box.height = "auto"
            else:
                assert height.unit.lower() == "px"
                box.height = height.value
            used(box, style, "min_height", 0)
            used(box, style, "max_height", inf)
        else:
            used(box, style, "height", cb_height)
            used(box, style, "min_height", cb_height)
            used(box, style, "max_height", cb_height)

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
