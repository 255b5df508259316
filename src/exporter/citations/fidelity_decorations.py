"""Fidelity patch: an explicit ``font-style="normal"`` or ``vertical-align="baseline"`` inside
italics or a superscript turns it off, as citeproc-js writes it
(``<i><span style="font-style:normal;">…</span></i>``); citeproc-py treated either as no
formatting.  The markers become a tag only inside the decoration they reset
(:func:`.markup.to_html`), so a "normal" without italics around prints nothing.
"""

from __future__ import annotations

from .markup import marker


def _inside(node, attribute: str, values: tuple[str, ...], memo: dict) -> bool:
    """An ancestor of ``node`` in the style sets ``attribute`` to one of ``values`` (a reset
    with nothing to reset is left out, which keeps year-suffix collapsing by text intact)."""
    key = (id(node), attribute)
    found = memo.get(key)
    if found is None:
        found = memo[key] = any(a.get(attribute) in values for a in node.iterancestors())
        memo[(id(node), "keep")] = node
    return found


def patch_explicit_normal(model) -> None:
    """``Formatted.font_style`` / ``vertical_align`` mark an explicit reset."""
    original_style = model.Formatted.font_style
    original_align = model.Formatted.vertical_align
    normal = marker("normal")
    baseline = marker("baseline")
    memo: dict = {}

    def font_style(self, text):
        if self.get("font-style") == "normal" and "font-style" in self.attrib and text \
                and _inside(self, "font-style", ("italic", "oblique"), memo):
            return normal[0] + str(text) + normal[1]
        return original_style(self, text)

    def vertical_align(self, text):
        if self.get("vertical-align") == "baseline" and "vertical-align" in self.attrib and text \
                and _inside(self, "vertical-align", ("sup", "sub"), memo):
            return baseline[0] + str(text) + baseline[1]
        return original_align(self, text)

    model.Formatted.font_style = font_style
    model.Formatted.vertical_align = vertical_align
