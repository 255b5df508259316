"""Benchmark the ``docx`` format (issue 4) against pandoc on the same material.

Assembles a 10-source-page selection of the sample corpus with editorial notes and annotations
(entries kd1-1918-02-22 .. kd1-1918-03-03b, translation layer, irina's visible annotations),
then:

* renders it in-process with the ``docx`` format: one cold render (template build included),
  then the warm median over ``--runs`` renders;
* writes the equivalent Markdown (headings, paragraphs, ``^[note]`` footnotes, and the
  annotations as pandoc comment spans) and times ``pandoc -f markdown -t docx`` on it, the
  reference measured in the same run (median of ``--pandoc-runs`` runs, wall clock of the
  process).

Usage::

    .venv/bin/python bench/bench_docx.py [--runs 30] [--pandoc-runs 7]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from exporter.engine import Engine, ExportRequest
from exporter.model import AnnotationEnd, AnnotationStart, Document, NoteRef, PageBreak, Text

SELECTION = dict(range="kd1-1918-02-22..kd1-1918-03-03b", layer="translation", user="irina",
                 annotations="visible")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+\-.!|^~\"$@])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown(doc: Document) -> str:
    """The document as pandoc Markdown with the same notes and comments."""
    out = [f"% {md_escape(doc.title)}", ""]
    for entry in doc.entries:
        out += [f"## {md_escape(entry.title)}", ""]
        if entry.citation:
            out += [f"**Cite as:** {md_escape(entry.citation.note)}", ""]
        for layer in entry.layers.values():
            for block in layer.blocks:
                line = []
                for item in block.inlines:
                    if isinstance(item, Text):
                        t = md_escape(item.text)
                        line.append(f"*{t}*" if "italic" in item.styles and t.strip() else t)
                    elif isinstance(item, NoteRef):
                        line.append(f"^[{md_escape(item.note.text)}]")
                    elif isinstance(item, PageBreak):
                        line.append(f"\\[p. {item.label}\\] ")
                    elif isinstance(item, AnnotationStart):
                        a = item.annotation
                        line.append(f'[{md_escape(a.body)}]{{.comment-start id="{a.number}" '
                                    f'author="{a.creator_name}" date="{a.created}"}}')
                    elif isinstance(item, AnnotationEnd):
                        line.append(f'[]{{.comment-end id="{item.annotation.number}"}}')
                out += ["".join(line), ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pandoc-runs", type=int, default=7)
    args = parser.parse_args()

    engine = Engine()
    fmt = engine.plugins.formats.get("docx")
    doc = engine.assemble(ExportRequest(format="docx", **SELECTION), fmt)
    notes = sum(len(e.notes) for e in doc.entries)
    print(f"selection: {doc.selection.describe()}: {len(doc.entries)} entries, {doc.source_pages} source pages, "
          f"{notes} notes, {len(doc.annotations)} annotations")

    t0 = time.perf_counter()
    buf = io.BytesIO()
    fmt.render(doc, buf)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(args.runs):
        buf = io.BytesIO()
        t0 = time.perf_counter()
        fmt.render(doc, buf)
        times.append(time.perf_counter() - t0)
    print(f"docx render: cold {cold:.4f} s (imports and template build), warm median {statistics.median(times):.4f} s "
          f"over {args.runs} runs (min {min(times):.4f}, max {max(times):.4f}); {len(buf.getvalue())} bytes")

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.md"
        src.write_text(markdown(doc), encoding="utf-8")
        dst = Path(tmp) / "doc.docx"
        ptimes = []
        for _ in range(args.pandoc_runs):
            t0 = time.perf_counter()
            subprocess.run(["pandoc", "-f", "markdown", "-t", "docx", "-o", str(dst), str(src)], check=True)
            ptimes.append(time.perf_counter() - t0)
        version = subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"reference: {version} markdown -> docx: median {statistics.median(ptimes):.4f} s over "
              f"{args.pandoc_runs} runs (min {min(ptimes):.4f}); {dst.stat().st_size} bytes")
    print(f"target: warm median <= 0.06 s: {'met' if statistics.median(times) <= 0.06 else 'MISSED'}")


if __name__ == "__main__":
    main()
