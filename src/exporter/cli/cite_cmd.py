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
                    "of one document (a repeated entry gets the subsequent or ibid form).  With --cluster, "
                    "citations of several entries each.")
    common.add_corpus(p)
    common.add_selection(p)
    p.add_argument("--cluster", metavar="ID,ID;ID",
                   help="multi-item citations instead of a selection: ';' separates citations, ',' the "
                        "entries of one, ID@PAGE cites a page")
    p.add_argument("--style", required=True, metavar="NAME",
                   help="a style name or CSL id (see 'exporter styles', 'exporter styles --search TEXT')")
    p.add_argument("--locale", metavar="LANG", help="citation locale, e.g. en-GB, ru-RU (default: the style's)")
    p.add_argument("--mode", default="bibliography", choices=("bibliography", "note", "in-text"))
    p.add_argument("--as", dest="as_", default="text", choices=("text", "html"),
                   help="plain text, or HTML with field values escaped")
    p.add_argument("--locator", metavar="PAGE", help="page cited (notes and in-text citations)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..citations import Cite, cite_clusters, cite_entries, parse_clusters
    from ..citations.locales import check_locale
    from ..errors import UsageError

    engine = common.engine(args)
    style = engine.style(args.style)  # a path or an unknown name is refused with the known ones
    locale = check_locale(args.locale) if args.locale is not None else None
    locator = args.locator
    if locator is not None:
        locator = " ".join(locator.split())
        if not locator:
            raise UsageError("--locator: give a page, e.g. --locator 21")
        if args.mode == "bibliography":
            raise UsageError("--locator applies to --mode note or in-text, not to the bibliography")
    corpus = engine.load(args.corpus)
    from ..engine import select

    if args.cluster is not None:
        if any((args.entries, args.range, args.folder, args.dates, args.all)):
            raise UsageError("give either --cluster or a selection, not both")
        try:
            clusters = parse_clusters(args.cluster)
        except ValueError as exc:
            raise UsageError(f"--cluster: {exc}") from None
        cites = [[Cite(select.lookup(corpus, i), page or locator) for i, page in c] for c in clusters]
        if args.mode == "bibliography":
            entries = list({c.entry.id: c.entry for cluster in cites for c in cluster}.values())
            lines = cite_entries(entries, style, args.mode, None, locale, refuse_without_bibliography=True)
        else:
            lines = cite_clusters(cites, style, note=(args.mode == "note"), locale=locale)
    elif args.entries and args.mode != "bibliography":
        # Notes cite in the order given, repeats included (a repeat is a subsequent/ibid cite);
        # the export selection would select a repeated id once.
        engine.resolve(corpus, common.request_from(args, "json"))  # same checks and errors
        entries = [select.lookup(corpus, i.strip()) for i in args.entries.split(",") if i.strip()]
        lines = cite_entries(entries, style, args.mode, locator, locale, refuse_without_bibliography=True)
    else:
        entries = engine.resolve(corpus, common.request_from(args, "json"))
        lines = cite_entries(entries, style, args.mode, locator, locale, refuse_without_bibliography=True)
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
