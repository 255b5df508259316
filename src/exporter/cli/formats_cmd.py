"""``exporter formats``: the registered output formats."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..registry import Option


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("formats", help="list output formats",
                       description="List the registered output formats (with --json: and their options).")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def _option(option: Option) -> dict[str, Any]:
    # Choices computed by a function (a library's list) are not listed: that would import it.
    return {"name": option.name, "flag": option.flag, "type": option.type.__name__, "help": option.help,
            "default": option.default,
            "choices": list(option.choices) if isinstance(option.choices, tuple) and option.choices else None}


def run(args: argparse.Namespace) -> int:
    from . import common

    plugins = common.engine(args).plugins
    rows = [{"name": f.name, "media_type": f.media_type, "extension": f.extension, "plugin": f.plugin,
             "print_limited": f.material, "description": f.description,
             "options": [_option(o) for o in f.options]} for f in plugins.formats]
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        name_w = max((len(r["name"]) for r in rows), default=4)
        type_w = max((len(r["media_type"]) for r in rows), default=10)
        for r in rows:
            limited = "print-limited" if r["print_limited"] else ""
            print(f"{r['name']:<{name_w}}  {r['media_type']:<{type_w}}  .{r['extension']:<7} {limited:<14} {r['plugin']}")
    return 0
