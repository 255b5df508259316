"""``exporter styles``: the registered citation styles."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("styles", help="list citation styles", description="List the registered CSL styles.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from . import common

    plugins = common.engine(args).plugins
    rows = [{"name": s.name, "title": s.title, "kind": s.kind, "plugin": s.plugin} for s in plugins.styles]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for r in rows:
            print(f"{r['name']:<34} {r['kind']:<8} {r['title']}")
    return 0
