"""A plain-text format for archive-exporter: the complete one-file example plugin.

Install it by naming this module in the ``exporter`` entry-point group of your package::

    [project.entry-points.exporter]
    plain-text = "plaintext_format"
"""

from __future__ import annotations

import textwrap
from typing import BinaryIO

from exporter import hookimpl
from exporter.model import AnnotationStart, Document, NoteRef, PageBreak, Text
from exporter.registry import Format, RenderInfo

WIDTH = 78


def _block_text(inlines, notes: list) -> str:
    """One block's text: page breaks as [p. N], note calls as [1], annotation starts as {A1}."""
    parts = []
    for item in inlines:
        if isinstance(item, Text):
            parts.append(item.text)
        elif isinstance(item, NoteRef):
            notes.append(item.note)
            parts.append(f"[{len(notes)}]")
        elif isinstance(item, PageBreak):
            parts.append(f" [p. {item.label}] ")
        elif isinstance(item, AnnotationStart):
            parts.append(f"{{A{item.annotation.number}}}")
    return " ".join("".join(parts).split())


def render(doc: Document, out: BinaryIO) -> RenderInfo:
    """Write every selected entry as wrapped UTF-8 text."""
    lines = [doc.title, "=" * min(len(doc.title), WIDTH), ""]
    for entry in doc.entries:
        notes: list = []
        lines += [entry.title, "-" * min(len(entry.title), WIDTH)]
        if entry.date.iso:
            lines.append(f"Date: {entry.date.text or entry.date.iso}")
        if entry.authors:
            lines.append("Author: " + "; ".join(p.display for p in entry.authors))
        if entry.citation:
            lines += textwrap.wrap("Cite as: " + entry.citation.note, WIDTH)
        for name, layer in entry.layers.items():
            lines += ["", f"[{name}]"]
            for block in layer.blocks:
                lines += textwrap.wrap(_block_text(block.inlines, notes), WIDTH) + [""]
        for n, note in enumerate(notes, 1):
            lines += textwrap.wrap(f"[{n}] {note.text}", WIDTH, subsequent_indent="    ")
        for ann in entry.annotations:
            lines += textwrap.wrap(f"{{A{ann.number}}} \u201c{ann.exact}\u201d \u2014 {ann.body} "
                                   f"({ann.creator_name or ann.creator})", WIDTH, subsequent_indent="    ")
        lines.append("")
    out.write("\n".join(lines).encode("utf-8"))
    return RenderInfo(warnings=[])


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="plain-text", media_type="text/plain", extension="txt", render=render,
                    material=True, citations=True, description="Plain UTF-8 text (example plugin)"))
