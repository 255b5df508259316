"""``exporter plugins``: loaded plugins and the ones that failed."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="list loaded plugins and failures",
                       description="List loaded plugins (name, version, what they registered) and failures.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..plugins import load_plugins

    plugins = load_plugins()
    loaded = [i.as_dict() for i in plugins.info.values()]
    failed = [f.as_dict() for f in plugins.failures]
    if args.json:
        print(json.dumps({"plugins": loaded, "failures": failed}, indent=1))
        return 0
    for p in loaded:
        what = ", ".join(f"{k} {', '.join(p[k])}" for k in ("formats", "styles", "sources") if p[k]) or "nothing"
        origin = "built-in" if p["builtin"] else "installed"
        print(f"{p['name']:<40} {p['version'] or '-':<10} {origin:<10} {what}")
    for f in failed:
        print(f"FAILED {f['name']} ({f['stage']}): {f['reason']}")
    return 0
