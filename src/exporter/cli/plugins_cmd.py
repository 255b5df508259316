"""``exporter plugins``: loaded plugins, what each registered, and the ones that failed."""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plugins", help="list loaded plugins and failures",
        description="List loaded plugins (name, version, what they registered) and the plugins that failed "
                    "to load, with the reason. EXPORTER_PLUGINS=a,b loads only those third-party plugins; "
                    "EXPORTER_DISABLE_PLUGINS=a,b skips plugins (entry-point names or built-in names such as html).")
    p.add_argument("--json", action="store_true",
                   help='machine-readable output: {"plugins": [...], "failures": [...]}')
    p.set_defaults(run=run)


def _added(plugin: dict) -> str:
    parts = [f"{kind} {', '.join(plugin[kind])}" for kind in ("formats", "styles", "sources") if plugin[kind]]
    return "; ".join(parts) or "nothing"


def run(args: argparse.Namespace) -> int:
    from ..plugins import load_plugins

    plugins = load_plugins()
    for notice in plugins.notices:
        print(f"exporter: warning: {notice}", file=sys.stderr)
    loaded = [i.as_dict() for i in plugins.info.values()]
    failed = [f.as_dict() for f in plugins.failures]
    if args.json:
        print(json.dumps({"plugins": loaded, "failures": failed}, indent=1, ensure_ascii=False))
        return 0
    width = max([len(p["name"]) for p in loaded] + [6])
    print(f"{'PLUGIN':<{width}}  {'VERSION':<10} {'ORIGIN':<24} ADDED")
    for p in loaded:
        origin = "built-in" if p["builtin"] else (p["distribution"] or "entry point")
        print(f"{p['name']:<{width}}  {p['version'] or '-':<10} {origin:<24} {_added(p)}")
    if failed:
        print()
        print("FAILED")
        for f in failed:
            print(f"{f['name']:<{width}}  {f['stage']:<10} {f['reason']}")
    return 0
