"""``exporter store init|import|export``: create, fill and empty an annotation store."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import UsageError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("store", help="create, fill and export an annotation store",
                       description="The annotation store: a database (SQLite file or PostgreSQL) holding "
                                   "annotations, users, groups, folders and bookmarks.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    init = actions.add_parser("init", help="create the schema, or upgrade it to this version's")
    imp = actions.add_parser("import", help="load a corpus folder's archive.json and annotation files "
                                            "(idempotent: what is already stored is kept)")
    imp.add_argument("--corpus", metavar="FOLDER",
                     help="a corpus folder: volumes, archive.json, annotations/ (default: the bundled sample)")
    exp = actions.add_parser("export", help="write archive.json and the annotation files into a folder")
    exp.add_argument("--output", metavar="FOLDER", required=True, help="folder to write into (created if missing)")
    exp.add_argument("--volume", action="append", default=None, metavar="ID",
                     help="only annotations of this volume (repeatable)")
    user = actions.add_parser("user", help="add a reader, or set a reader's role or group memberships")
    user.add_argument("name", help="the reader's user name (a token's 'sub')")
    user.add_argument("--display-name", metavar="TEXT", default="", help="the name shown for the reader")
    user.add_argument("--role", choices=("reader", "moderator"), help="a moderator may hide reported annotations")
    user.add_argument("--group", action="append", default=[], metavar="NAME",
                      help="make the reader a member of this group (repeatable; created if missing)")
    for q in (imp, exp):
        q.add_argument("--json", action="store_true", help="print the counts as JSON")
    for q in (init, imp, exp, user):
        q.add_argument("--store", metavar="URL", default=os.environ.get("EXPORTER_STORE") or None,
                       help="an SQLite file or postgresql:// URL (default: $EXPORTER_STORE)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.action:
        raise UsageError("exporter store: give an action: init, import, export or user")
    if not getattr(args, "store", None):
        raise UsageError("exporter store: give --store URL (an SQLite file or postgresql:// URL) "
                         "or set EXPORTER_STORE")
    from ..store import Store

    store = Store(args.store)
    try:
        if args.action == "init":
            revision = store.init()
            print(f"store ready (schema {revision})")
            return 0
        store.check()
        if args.action == "user":
            store.ensure_user(args.name, args.display_name, args.role)
            for group in args.group:
                store.add_member(group, args.name)
            name, role = store.users()[args.name]
            print(f"{args.name}: {name}, {role}" + (f", member of {', '.join(sorted(store.user_groups(args.name)))}"
                                                    if store.user_groups(args.name) else ""))
            return 0
        if args.action == "import":
            from pathlib import Path

            from ..engine import Engine

            counts = store.import_corpus(Path(args.corpus) if args.corpus else Engine.default_corpus())
            for warning in getattr(store, "last_warnings", []):
                print(f"exporter: warning: {warning}", file=sys.stderr)
        else:
            counts = store.export_files(args.output, args.volume)
        if args.json:
            print(json.dumps(counts))
        else:
            print(", ".join(f"{v} {k}" for k, v in counts.items() if k not in ("warnings",)))
        return 0
    finally:
        store.close()
