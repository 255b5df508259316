"""Anchoring benchmark: many annotations on one passage (a hostile or very popular entry).

Run: .venv/bin/python bench/bench_anchoring.py [--sizes 10000,20000,100000] [--reference-up-to 20000]

Measures :func:`exporter.engine.anchor.anchor_layer` for N copies of one public annotation of the
sample (an entry that holds N annotations on one passage), and the whole command
``exporter export --format ris`` of that entry with N annotations in a reader's file.  The
reference in the same run is the previous implementation (one ``list`` rebuild per marker,
quadratic), kept below; it is run only up to ``--reference-up-to`` because it takes minutes
beyond.  Target (issue 21): near-linear, 100,000 annotations well inside the default
``--timeout`` (300 s).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
EXPORTER = Path(sys.executable).parent / "exporter"
ENTRY, ANNOTATION = "kd1-1918-03-06", "a0012"


def reference_anchor_layer(layer, annotations):
    """The previous anchoring: a search per annotation, then one list rebuild per marker."""
    from exporter.engine.anchor import AnchorError, find_quote
    from exporter.model import AnnotationEnd, AnnotationStart, Block, Layer, Text

    def insert(inlines, offset, marker):
        is_start = isinstance(marker, AnnotationStart)
        out, pos, done = [], 0, False
        for item in inlines:
            if done or not isinstance(item, Text):
                out.append(item)
                continue
            n = len(item.text)
            if pos < offset < pos + n:
                cut = offset - pos
                out += [Text(item.text[:cut], item.styles), marker, Text(item.text[cut:], item.styles)]
                done = True
            elif pos == offset and is_start:
                out += [marker, item]
                done = True
            elif pos + n == offset and not is_start:
                out += [item, marker]
                done = True
            else:
                out.append(item)
            pos += n
        if not done:
            out.append(marker)
        return out

    text = layer.text
    placed = []
    for ann in annotations:
        try:
            start, end = find_quote(text, ann)
        except AnchorError:
            continue
        placed.append(replace(ann, start=start, end=end))
    blocks = [Block(b.kind, list(b.inlines)) for b in layer.blocks]
    offsets, pos = [], 0
    for b in blocks:
        offsets.append(pos)
        pos += len(b.text) + 1

    def locate(p):
        for i in range(len(blocks) - 1, -1, -1):
            if p >= offsets[i]:
                return i, min(p - offsets[i], len(blocks[i].text))
        return 0, 0

    events = []
    for ann in placed:
        events.append((*locate(ann.start), 1, ann))
        events.append((*locate(ann.end), 0, ann))
    events.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
    for b, off, kind, ann in events:
        blocks[b].inlines = insert(blocks[b].inlines, off, AnnotationStart(ann) if kind else AnnotationEnd(ann))
    return Layer(layer.name, layer.language, blocks, list(layer.pages), layer.start_page), placed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,20000,100000")
    ap.add_argument("--reference-up-to", type=int, default=20000)
    ap.add_argument("--no-cli", action="store_true", help="skip the whole-command figure")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from exporter.assets import SAMPLE_DIR
    from exporter.engine import Engine, anchor

    corpus = Engine().load(SAMPLE_DIR)
    base = next(a for a in corpus.annotations if a.id.endswith(ANNOTATION))
    entry = corpus.get(base.entry_id)
    layer = entry.layers[base.layer]
    print(f"one passage of {entry.id}/{layer.name} ({len(layer.text)} characters), N copies of {ANNOTATION}")
    print(f"{'N':>8}  {'anchor_layer':>13}  {'reference':>11}  {'whole ris export':>17}")
    for n in sizes:
        crowd = [replace(base, id=f"crowd-{i}") for i in range(n)]
        t = time.perf_counter()
        _, placed = anchor.anchor_layer(layer, crowd, [], entry.id)
        ours = time.perf_counter() - t
        assert len(placed) == n
        ref = "-"
        if n <= args.reference_up_to:
            t = time.perf_counter()
            reference_anchor_layer(layer, crowd)
            ref = f"{time.perf_counter() - t:9.2f} s"
        cli = "-"
        if not args.no_cli:
            cli = f"{whole_export(n):15.2f} s"
        print(f"{n:>8}  {ours:11.3f} s  {ref:>11}  {cli:>17}")


def whole_export(n: int) -> float:
    """Wall time of ``exporter export --format ris`` of the entry with N annotations in a reader's file."""
    from exporter.assets import SAMPLE_DIR

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        shutil.copytree(SAMPLE_DIR, folder)
        anns = json.loads((folder / "annotations" / "leila.jsonld").read_text())
        base = next(a for a in anns if a["id"].endswith(ANNOTATION))
        crowd = []
        for i in range(n):
            a = dict(base, id=f"https://archive.example.org/kd/annotations/crowd{i}")
            crowd.append(a)
        (folder / "annotations" / "crowd.jsonld").write_text(json.dumps(crowd))
        t = time.perf_counter()
        subprocess.run([str(EXPORTER), "export", "--corpus", str(folder), "--entries", ENTRY, "--format", "ris",
                        "--output", str(Path(tmp) / "x.ris")], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t


if __name__ == "__main__":
    main()
