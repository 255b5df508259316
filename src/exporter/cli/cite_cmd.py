"""``exporter cite``: formatted citations, one per line."""

from __future__ import annotations

import argparse
import sys

from ..engine import CITATION_MODES, CiteRequest
from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cite", help="print formatted citations",
        description="Print citations for entries, one per line: the bibliography sorted as the style "
                    "sorts it, or notes / in-text citations in selection order as consecutive citations "
                    "of one document (a repeated entry gets the subsequent or ibid form).")
    common.add_corpus(p)
    common.add_selection(p)
    p.add_argument("--style", required=True, metavar="NAME", help="a registered style name (see 'exporter styles')")
    p.add_argument("--mode", default=CITATION_MODES[0], choices=CITATION_MODES)
    p.add_argument("--as", dest="as_", default="text", choices=("text", "html"),
                   help="plain text, or HTML with field values escaped")
    p.add_argument("--locator", metavar="PAGE", help="page cited (notes and in-text citations)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    engine = common.engine(args)
    result = engine.citations(CiteRequest(
        style=args.style, mode=args.mode, locator=args.locator, entries=args.entries, range=args.range,
        folder=args.folder, dates=args.dates, all=args.all, corpus=args.corpus, user=args.user))
    style = result.style
    out = sys.stdout
    for line in result.lines:
        if line.omitted:
            print(f"exporter: warning: entry {line.entry_id}: style '{style.name}' prints nothing for it "
                  f"in {args.mode} mode; left out", file=sys.stderr)
            continue
        if line.error:
            print(f"exporter: warning: entry {line.entry_id}: style '{style.name}' could not format it "
                  f"({line.error}); printed a marked plain citation", file=sys.stderr)
        out.write((line.html if args.as_ == "html" else line.text) + "\n")
    out.flush()
    return 0
