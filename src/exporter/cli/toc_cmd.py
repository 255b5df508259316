"""``exporter toc``: the table of contents of a corpus."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from ..errors import UsageError
from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("toc", help="list the entries of a corpus", description="List entries in volume order.")
    common.add_corpus(p)
    p.add_argument("--volume", metavar="ID", help="only the entries of the volume with this id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    corpus = common.engine(args).load(args.corpus)
    if args.volume is not None and not any(v.id == args.volume for v in corpus.volumes):
        known = ", ".join(v.id for v in corpus.volumes[:20]) + (", ..." if len(corpus.volumes) > 20 else "")
        raise UsageError(f"--volume {args.volume[:200]!r}: no such volume; volumes: {known}")
    # Summaries, one at a time: a large indexed corpus is listed without reading its volumes.
    rows: Iterator[dict[str, Any]] = (
        {"id": e.id, "title": e.title, "date": e.date.iso, "volume": e.volume.id, "pages": e.pages()}
        for e in corpus.summaries(args.volume))
    out = sys.stdout
    if args.json:
        # The layout of json.dumps(rows, indent=1), written row by row.
        out.write("[")
        any_row = False
        for r in rows:
            row = json.dumps(r, ensure_ascii=False, indent=1).replace("\n", "\n ")
            out.write(("," if any_row else "") + "\n " + row)
            any_row = True
        out.write("\n]\n" if any_row else "]\n")
        return 0
    for r in rows:
        pages = "; ".join(f"{k} {p[0]}-{p[-1]}" if len(p) > 1 else f"{k} {p[0] if p else '-'}"
                          for k, p in r["pages"].items())
        out.write(f"{r['id']:<24} {r['date'] or 'undated':<10}  {r['title'][:60]:<60}  {pages}\n")
    return 0
