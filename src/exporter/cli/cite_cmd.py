"""``exporter cite``: formatted citations, one per line."""

from __future__ import annotations

import argparse
import sys

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
    p.add_argument("--mode", default="bibliography", choices=("bibliography", "note", "in-text"))
    p.add_argument("--as", dest="as_", default="text", choices=("text", "html"),
                   help="plain text, or HTML with field values escaped")
    p.add_argument("--locator", metavar="PAGE", help="page cited (notes and in-text citations)")
    p.set_defaults(run=run)


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".csl", ".xml"))


def run(args: argparse.Namespace) -> int:
    from ..citations import cite_entries, style_names
    from ..errors import UnknownNameError, UsageError

    engine = common.engine(args)
    styles = engine.plugins.styles
    if _looks_like_path(args.style):
        raise UnknownNameError(f"--style takes a registered style name, not a path ('{args.style}'); "
                               f"known styles: {', '.join(style_names(styles))}")
    style = styles.get(args.style)  # unknown names are refused with the known ones
    locator = args.locator
    if locator is not None:
        locator = " ".join(locator.split())
        if not locator:
            raise UsageError("--locator: give a page, e.g. --locator 21")
        if args.mode == "bibliography":
            raise UsageError("--locator applies to --mode note or in-text, not to the bibliography")
    corpus = engine.load(args.corpus)
    if args.entries and args.mode != "bibliography":
        # Notes cite in the order given, repeats included (a repeat is a subsequent/ibid cite);
        # the export selection would select a repeated id once.
        from ..engine import select

        engine.resolve(corpus, common.request_from(args, "json"))  # same checks and errors
        entries = [select.lookup(corpus, i.strip()) for i in args.entries.split(",") if i.strip()]
    else:
        entries = engine.resolve(corpus, common.request_from(args, "json"))
    lines = cite_entries(entries, style, args.mode, locator)
    out = sys.stdout
    for line in lines:
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
