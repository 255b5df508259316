"""``exporter export``: export a selection to a file in one format."""

from __future__ import annotations

import argparse
import json
import sys

from ..engine import ANNOTATION_MODES, DEFAULT_STYLE, DEFAULT_TIMEOUT, LAYERS
from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export selected entries to a file",
                       description="Export selected entries in one format (see `exporter formats`).")
    common.add_corpus(p)
    common.add_selection(p)
    p.add_argument("--format", required=True, metavar="NAME", help="output format, e.g. pdf, docx, html, ris")
    p.add_argument("--output", "-o", required=True, metavar="FILE", help="output file, or - for stdout")
    p.add_argument("--layer", default="both", choices=LAYERS, help="text layer(s) to include (default: both)")
    p.add_argument("--pages", metavar="A-B", help="only source pages A to B")
    p.add_argument("--annotations", default="visible", choices=ANNOTATION_MODES,
                   help="annotations to include (default: visible = own, groups', public)")
    p.add_argument("--tag", action="append", metavar="TAG", help="only annotations with this tag (repeatable)")
    p.add_argument("--creator", action="append", metavar="NAME", help="only annotations by this user (repeatable)")
    p.add_argument("--style", metavar="NAME",
                   help=f"citation style for per-entry citations (default {DEFAULT_STYLE}; see `exporter styles`)")
    p.add_argument("--accept-terms", action="store_true", help="accept the archive's terms of use")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"stop a render after this long (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    common.add_format_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    request = common.request_from(
        args, args.format, layer=args.layer, pages=args.pages, annotations=args.annotations,
        tags=args.tag or [], creators=args.creator or [],
        style=args.style, accept_terms=args.accept_terms, options=common.format_options_of(args),
        timeout=args.timeout)
    eng = common.engine(args)
    result = eng.export(request, args.output)
    for w in result.warnings:
        print(f"exporter: warning: {w}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False), file=sys.stderr if args.output == "-" else sys.stdout)
    elif args.output != "-":
        pages = f", {result.rendered_pages} rendered pages" if result.rendered_pages else ""
        entries = f"{result.entries} {'entry' if result.entries == 1 else 'entries'}"
        print(f"wrote {result.path} ({result.media_type}, {result.size} bytes, {entries}, "
              f"{result.source_pages} source page{'' if result.source_pages == 1 else 's'}{pages}, "
              f"{result.annotations} annotation{'' if result.annotations == 1 else 's'})")
    return 0
