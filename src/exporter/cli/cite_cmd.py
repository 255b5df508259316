"""``exporter cite``: formatted citations (in progress: see the citations issue)."""

from __future__ import annotations

import argparse

from . import common


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cite", help="print formatted citations", description="Print citations for entries.")
    common.add_corpus(p)
    common.add_selection(p)
    p.add_argument("--style", required=True, metavar="NAME")
    p.add_argument("--mode", default="bibliography", choices=("bibliography", "note", "in-text"))
    p.add_argument("--as", dest="as_", default="text", choices=("text", "html"))
    p.add_argument("--locator", metavar="PAGE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    raise UsageError("cite is not available yet")
