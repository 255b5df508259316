"""weasyprint 70.0's ``layout_box_backgrounds`` for boxes that paint no background of their own.

After a page is laid out, weasyprint visits each of its boxes to resolve the border radii and
to place background images, reading a dozen style values per box, building the list of
background images and importing its colour helper on every call.  Most boxes of a print (text
runs, lines, paragraphs) have no radius, no border or mask image, no background image, a
transparent background colour and no shadow: weasyprint then only sets their radii to zero and
their background to ``None``.  Whether a style is such a style is decided once (on the style,
for the render that owns it) and such boxes get exactly that; every other box, and the page
itself, goes to weasyprint's function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_RADII = ("border_top_left_radius", "border_top_right_radius", "border_bottom_right_radius",
          "border_bottom_left_radius")
_ZERO = (0, "px")


def _paints_nothing(style: Any) -> bool:
    """Whether weasyprint's function gives a box of this style zero radii and no background."""
    from weasyprint.draw.color import get_color

    if not all(_ZERO in style[name] for name in _RADII):
        return False  # a radius may be a percentage of the box's size
    if style["border_image_source"][0] != "none" or style["mask_border_source"][0] != "none":
        return False
    if style["box_shadow"]:
        return False
    if style["visibility"] == "hidden":
        return True  # no image and a transparent colour, whatever the style says
    if any(type_ == "url" or value for type_, value in style["background_image"]):
        return False
    return get_color(style, "background_color").alpha == 0


def make(original: Callable[..., None]) -> Callable[..., None]:
    """The faster ``layout_box_backgrounds``, handing every other box to ``original``."""

    def layout_box_backgrounds(page: Any, box: Any, get_image_from_uri: Any, layout_children: bool = True,
                               style: Any = None) -> None:
        if style is None and box is not page:
            kept = box.style.__dict__
            plain = kept.get("exporter_paints_nothing")
            if plain is None:
                plain = kept["exporter_paints_nothing"] = _paints_nothing(box.style)
            if plain:
                box.border_top_left_radius = (0, 0)
                box.border_top_right_radius = (0, 0)
                box.border_bottom_right_radius = (0, 0)
                box.border_bottom_left_radius = (0, 0)
                if layout_children:
                    for child in box.all_children():
                        layout_box_backgrounds(page, child, get_image_from_uri)
                box.background = None
                return
        original(page, box, get_image_from_uri, layout_children, style)

    return layout_box_backgrounds
