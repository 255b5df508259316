"""``html``: a standalone, print-styled HTML page of the selected entries.

Rendered through an autoescaping Jinja template (``templates/html.html.j2``) with the stylesheet
``styles/html.css`` (package data) inlined, so the page needs no other file and loads nothing.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from .. import hookimpl
from ..model import Document, Layer
from ..registry import Format
from ..view import LAYER_TITLES, inline_html, metadata_rows


def layer_view(layer: Layer, note_mode: str = "link") -> list[dict[str, Any]]:
    """Blocks of a layer as (kind, html), keeping annotation highlights open across blocks."""
    active: set[int] = set()
    return [{"kind": b.kind, "html": inline_html(b.inlines, note_mode, active)} for b in layer.blocks]


def view(doc: Document, note_mode: str = "link") -> dict[str, Any]:
    entries = []
    for e in doc.entries:
        entries.append({
            "entry": e,
            "heading": inline_html(e.heading, note_mode),
            "meta": metadata_rows(e),
            "layers": [{"name": n, "title": LAYER_TITLES.get(n, n.title()), "lang": lay.language,
                        "blocks": layer_view(lay, note_mode)} for n, lay in e.layers.items()],
        })
    terms = []
    for v in doc.volumes:
        if v.terms not in terms:
            terms.append(v.terms)
    return {"doc": doc, "entries": entries, "terms": terms,
            "lang": (doc.volumes[0].languages or ["en"])[0] if doc.volumes else "en"}


def render(doc: Document, out: BinaryIO) -> None:
    from ..assets import jinja_env, read_style

    html = jinja_env().get_template("html.html.j2").render(css=read_style("html.css"), **view(doc))
    out.write(html.encode("utf-8"))


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="html", media_type="text/html", extension="html", render=render,
                    material=True, citations=True, description="Standalone print-styled HTML page"))
