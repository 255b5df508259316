"""What a part of a CSL style reaches: the element itself and every macro it calls, in turn."""

from __future__ import annotations


def reaches(root, start, xpath: str) -> bool:
    """Whether ``xpath`` (relative, e.g. ``.//cs:text[@variable='citation-number']``) matches
    under ``start`` or under any macro that ``start`` calls, directly or through other macros.
    ``root`` is the style's root element; a called macro the style lacks is skipped."""
    ns = root.nsmap
    macros = {m.get("name"): m for m in root.findall("cs:macro", ns)}
    todo, seen = [start], set()
    while todo:
        element = todo.pop()
        if element.xpath(xpath, namespaces=ns):
            return True
        for name in element.xpath(".//@macro", namespaces=ns):
            if name not in seen and name in macros:
                seen.add(name)
                todo.append(macros[name])
    return False
