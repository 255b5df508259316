"""``exporter toc``: the table of contents of a corpus."""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("toc", help="list the entries of a corpus", description="List entries in volume order.")
    common.add_corpus(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    corpus = common.engine(args).load(args.corpus)
    rows: list[dict[str, Any]] = [
        {"id": e.id, "title": e.title, "date": e.date.iso, "volume": e.volume.id, "pages": e.pages()}
        for e in corpus.entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        pages = "; ".join(f"{k} {p[0]}-{p[-1]}" if len(p) > 1 else f"{k} {p[0] if p else '-'}"
                          for k, p in r["pages"].items())
        print(f"{r['id']:<24} {r['date'] or 'undated':<10}  {r['title'][:60]:<60}  {pages}")
    return 0
