"""Fidelity patch: a macro called by ``cs:text`` is a group, as in citeproc-js.

citeproc-js expands ``<text macro="m"/>`` into a ``cs:group`` holding the macro's children, so
the group rule applies to it: a macro that calls variables and renders none of them prints
nothing ("His Anonymous Life", not "His Anonymous Life, in " when a chapter has no
container title).  citeproc-py joined whatever the children rendered, terms included.
"""

from __future__ import annotations


def patch_macro_as_group(model) -> None:
    """``Macro.render`` suppresses its output when it calls variables and none of the children
    that call them rendered (the ``cs:group`` rule)."""
    Choose = model.Choose
    VariableError = model.VariableError
    join = model.join

    def render(self, item, context=None, sort_options=None, delimiter=""):
        output = []
        called = rendered = False
        for child in self.iterchildren():
            calls = child.calls_variable()
            called = called or calls
            try:
                if isinstance(child, Choose):
                    text = child.render(item, context=context, sort_options=sort_options,
                                        delimiter=delimiter)
                else:
                    text = child.render(item, context=context, sort_options=sort_options)
            except VariableError:
                continue
            if text is not None:
                output.append(text)
                rendered = rendered or calls
        if not output or (called and not rendered):
            return None
        return join(output, delimiter)

    model.Macro.render = render
