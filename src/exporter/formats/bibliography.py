"""``bibliography``: the selection's bibliography formatted in a CSL style, one entry a line.

What ``exporter cite --mode bibliography`` prints, as an export: the same entries, style and
locale give the same lines, sorted as the style sorts.  The engine formats them into
``Document.bibliography`` (the format declares ``bibliography=True``): it resolves ``--style``
(any registered style or CSL id; default the house style) and refuses a style without a
bibliography before rendering, so every front end (the command line, the service, ``exporter
batch``) gets the same check, and this writer stays thin.  ``--as html`` writes each line as
the processor's HTML, in which every value taken from the records is escaped; the file is still
served as ``text/plain``, so no browser renders it as a page.
"""

from __future__ import annotations

from typing import BinaryIO

from .. import hookimpl
from ..errors import UsageError
from ..model import Document
from ..registry import Format, Option

AS_CHOICES = ("text", "html")


def render(doc: Document, out: BinaryIO) -> None:
    """Write ``doc.bibliography``, one line each (``--as html``: the HTML lines)."""
    if doc.bibliography is None:  # the engine fills it; a caller that skips Engine.cite is told so
        raise UsageError("the bibliography format needs the engine's bibliography (Engine.export)")
    as_html = doc.options.get("as", "text") == "html"
    out.write("".join(f"{line.html if as_html else line.text}\n" for line in doc.bibliography).encode("utf-8"))


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="bibliography", media_type="text/plain", extension="txt",
                    render=render, material=False, bibliography=True,
                    description="Bibliography in a CSL style (--style, --locale), sorted as the style sorts",
                    options=(Option("as", "plain text, or HTML with the records' values escaped",
                                    choices=AS_CHOICES, default="text"),)))
