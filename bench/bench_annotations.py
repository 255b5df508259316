"""Benchmark the annotation exports on synthetic annotations (issue 7).

Builds a document with N synthetic, anchored annotations (20 per entry, 4 KB of layer text per
entry) and renders it with ``annotations-jsonld``, ``annotations-csv`` and ``annotations-md`` into
a byte-counting sink.  Prints, per format: median annotations/s over the runs, and the peak of
memory allocated while rendering (tracemalloc) at 10,000 and at N annotations -- streaming means
the two are about equal.  The reference figure, measured in the same run, is the standard
library alone: ``csv.writer`` writing N rows of 16 short cells plus ``json`` encoding N dicts of
the same shape as an annotation.

Usage::

    .venv/bin/python bench/bench_annotations.py [--count 100000] [--runs 5] [--formats a,b]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
import tracemalloc
from datetime import UTC, datetime

from exporter.model import Annotation, Block, Document, Entry, EntryDate, Layer, PageBreak, Selection, Text, Volume

PER_ENTRY = 20
WORDS = ("grain", "ministry", "telegram", "Vologda", "peace", "queue", "bread", "embassy", "winter", "letter")


class Sink:
    """A binary stream that only counts bytes (so the output does not fill memory)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def build(count: int) -> Document:
    vol = Volume(id="syn", title="Synthetic volume", base_url="https://archive.example.org/syn")
    entries = []
    for e in range(-(-count // PER_ENTRY)):
        paras = [" ".join(WORDS[(e + p + w) % len(WORDS)] for w in range(60)) for p in range(10)]
        blocks = [Block("paragraph", [PageBreak(str(e + 1)), Text(paras[0])])] + [
            Block("paragraph", [Text(p)]) for p in paras[1:]]
        layer = Layer("translation", "en", blocks, [str(e + 1)], None)
        text = layer.text
        entry = Entry(id=f"syn-{e:05d}", local_id=f"syn-{e:05d}", volume=vol, title=f"Entry {e}", heading=[],
                      date=EntryDate(1918, 1 + e % 12, 1 + e % 28), layers={"translation": layer}, order=e)
        for k in range(min(PER_ENTRY, count - e * PER_ENTRY)):
            start = 7 + 150 * k
            end = start + 40 + k
            entry.annotations.append(Annotation(
                id=f"https://archive.example.org/syn/annotations/{e}-{k}", entry_id=entry.id, layer="translation",
                exact=text[start:end], prefix="", suffix="",
                body=f"Comment {k} on entry {e}: compare the {WORDS[k % 10]} and the {WORDS[(k + 3) % 10]}.",
                body_language="en", tags=[WORDS[k % 10], "synthetic"], creator="irina",
                creator_name="Irina Sokolova", created="2026-01-13T12:07:00Z",
                modified="2026-01-14T08:00:00Z" if k % 3 == 0 else None,
                visibility=("private", "group", "public")[k % 3], group="seminar" if k % 3 == 1 else None,
                start=start, end=end, page=str(e + 1), number=e * PER_ENTRY + k + 1))
        entries.append(entry)
    return Document(entries=entries, volumes=[vol], selection=Selection("all", ""), user="irina",
                    user_name="Irina Sokolova", exported_at=datetime.now(UTC).replace(microsecond=0),
                    annotations_mode="visible")


def renderers():
    from exporter.formats.annotations import csv as annotations_csv
    from exporter.formats.annotations import jsonld as annotations_jsonld
    from exporter.formats.annotations import markdown as annotations_md

    return {"annotations-jsonld": annotations_jsonld.render, "annotations-csv": annotations_csv.render,
            "annotations-md": annotations_md.render}


def timed(render, doc: Document) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds of one render, and the bytes written."""
    sink = Sink()
    t0, c0 = time.perf_counter(), time.process_time()
    render(doc, sink)
    return time.perf_counter() - t0, time.process_time() - c0, sink.size


def peak_kib(render, doc: Document) -> float:
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    render(doc, Sink())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1024


def reference(count: int) -> tuple[float, float]:
    """Standard library only: csv rows + json dicts per second, same shapes."""
    row = tuple(f"cell {i} with some text" for i in range(16))
    obj = {"id": "https://archive.example.org/a/1", "type": "Annotation", "body": [{"value": "x" * 60}],
           "target": {"source": "https://archive.example.org/e/t", "selector": [{"exact": "y" * 50}]}}
    sink = Sink()

    class Text:
        def write(self, s: str) -> None:
            sink.write(s.encode("utf-8"))

    t0, c0 = time.perf_counter(), time.process_time()
    w = csv.writer(Text())
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for _ in range(count):
        w.writerow(row)
        sink.write(enc(obj).encode("utf-8"))
    return count / (time.perf_counter() - t0), count / (time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--formats", default="annotations-jsonld,annotations-csv,annotations-md",
                    help="comma-separated formats to measure")
    args = ap.parse_args()
    wanted = args.formats.split(",")
    small = build(10_000)
    big = build(args.count)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.count} synthetic annotations on {len(big.entries)} entries; {args.runs} runs each; "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    refs = [reference(args.count) for _ in range(args.runs)]
    print(f"reference (stdlib csv row + json dict, same run): {statistics.median(r[0] for r in refs):,.0f} per s wall, "
          f"{statistics.median(r[1] for r in refs):,.0f} per CPU-s")
    for name, render in renderers().items():
        if name not in wanted:
            continue
        runs = [timed(render, big) for _ in range(args.runs)]
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"{name:20s} median {wall:6.3f} s wall {cpu:6.3f} s CPU: {args.count / wall:9,.0f} annotations/s wall, "
              f"{args.count / cpu:9,.0f} per CPU-s; {runs[0][2] / 1e6:6.1f} MB; peak render memory "
              f"{peak_kib(render, small):6.0f} KiB at 10k, {peak_kib(render, big):6.0f} KiB at {args.count // 1000}k")


if __name__ == "__main__":
    main()
