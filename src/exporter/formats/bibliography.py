"""``bibliography``: the selection's bibliography formatted in a CSL style, one entry a line.

What ``exporter cite --mode bibliography`` prints, as an export: the same entries, style and
locale give the same lines, sorted as the style sorts (:func:`exporter.citations.cite_entries`).
The engine resolves ``--style`` (any registered style or CSL id; default the house style) and
refuses a style without a bibliography before rendering, so every front end (the command line,
the service, ``exporter batch``) gets the same check.  ``--as html`` writes each line as the
processor's HTML, in which every value taken from the records is escaped; the file is still
served as ``text/plain``, so no browser renders it as a page.  The citation processor is
imported only when this format renders.
"""

from __future__ import annotations

from typing import BinaryIO

from .. import hookimpl
from ..errors import UsageError
from ..model import Document
from ..registry import Format, Option, RenderInfo

AS_CHOICES = ("text", "html")


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write the bibliography of ``doc.entries`` in ``doc.citation_style`` (one line each)."""
    from ..citations import cite_entries

    style = doc.citation_style
    if style is None:  # the engine sets it; a caller that skips Engine.cite gets told so
        raise UsageError("the bibliography format needs a citation style (--style)")
    as_html = doc.options.get("as", "text") == "html"
    lines = cite_entries(doc.entries, style, "bibliography", locale=doc.locale, refuse_without_bibliography=True)
    warnings: list[str] = []
    text: list[str] = []
    for line in lines:
        if line.omitted:
            warnings.append(f"entry {line.entry_id}: style '{style.name}' prints nothing for it in "
                            "bibliography mode; left out")
            continue
        if line.error:
            warnings.append(f"entry {line.entry_id}: style '{style.name}' could not format it ({line.error}); "
                            "printed a marked plain citation")
        text.append(line.html if as_html else line.text)
    out.write("".join(f"{t}\n" for t in text).encode("utf-8"))
    return RenderInfo(warnings=warnings)


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="bibliography", media_type="text/plain", extension="txt",
                    render=render, material=False, bibliography=True,
                    description="Bibliography in a CSL style (--style, --locale), sorted as the style sorts",
                    options=(Option("as", "plain text, or HTML with the records' values escaped",
                                    choices=AS_CHOICES, default="text"),)))
