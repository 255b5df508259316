"""``exporter export``: export a selection to a file in one format."""

from __future__ import annotations

import argparse
import json
import sys

from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export selected entries to a file",
                       description="Export selected entries in one format (see `exporter formats`).")
    common.add_corpus(p)
    common.add_selection(p)
    p.add_argument("--format", required=True, metavar="NAME", help="output format, e.g. pdf, docx, html, ris")
    p.add_argument("--output", "-o", required=True, metavar="FILE", help="output file, or - for stdout")
    p.add_argument("--layer", default="both", choices=("translation", "transcription", "both"),
                   help="text layer(s) to include (default: both)")
    p.add_argument("--pages", metavar="A-B", help="only source pages A to B")
    p.add_argument("--annotations", default="visible", choices=("none", "mine", "visible"),
                   help="annotations to include (default: visible = own, groups', public)")
    p.add_argument("--tag", action="append", metavar="TAG", help="only annotations with this tag (repeatable)")
    p.add_argument("--creator", action="append", metavar="NAME", help="only annotations by this user (repeatable)")
    p.add_argument("--style", metavar="NAME", help="citation style for per-entry citations (see `exporter styles`)")
    p.add_argument("--accept-terms", action="store_true", help="accept the archive's terms of use")
    p.add_argument("--paper", choices=("a4", "letter"), help="paper size for pdf (default a4)")
    p.add_argument("--pdf-variant", metavar="NAME", help="PDF variant passed to weasyprint, e.g. pdf/a-3b, pdf/ua-1")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS", help="stop a render after this long")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = {k: v for k, v in (("paper", args.paper), ("pdf_variant", args.pdf_variant)) if v}
    request = common.request_from(
        args, args.format, layer=args.layer, pages=args.pages, annotations=args.annotations,
        tags=args.tag or [], creators=args.creator or [],
        style=args.style, accept_terms=args.accept_terms, options=options,
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
