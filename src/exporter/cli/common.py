"""Options shared by several sub-commands, and building the engine."""

from __future__ import annotations

import argparse
import os
import sys

from ..engine import Engine, ExportRequest
from ..plugins import Plugins


def add_corpus(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", metavar="PATH",
                   help="a TEI volume or a folder of volumes with annotations (default: the bundled sample)")
    p.add_argument("--store", metavar="URL", default=os.environ.get("EXPORTER_STORE") or None,
                   help="read annotations, groups and folders from this annotation store (an SQLite file or "
                        "postgresql:// URL; default: $EXPORTER_STORE, else the corpus files)")


def add_selection(p: argparse.ArgumentParser, required: bool = True) -> None:
    g = p.add_argument_group("selection (exactly one)")
    g.add_argument("--entries", metavar="ID,ID,...", help="entry ids (xml:id, or VOLUME:ID)")
    g.add_argument("--range", metavar="A..B", help="entries A to B in volume order")
    g.add_argument("--folder", metavar="NAME", help="a personal or group folder (needs --user)")
    g.add_argument("--dates", metavar="FROM..TO", help="entries dated in this range (1918-03-01..1918-03-31)")
    g.add_argument("--all", action="store_true", help="every entry of the corpus")
    p.add_argument("--user", metavar="NAME", help="the reader (for folders and annotations)")


def request_from(args: argparse.Namespace, fmt: str, **extra) -> ExportRequest:
    return ExportRequest(
        format=fmt, entries=args.entries, range=args.range, folder=args.folder, dates=args.dates,
        all=args.all, corpus=args.corpus, user=args.user, **extra)


def engine(args: argparse.Namespace) -> Engine:
    """Build the engine and report plugin notices and failures (stderr, one line each)."""
    eng = Engine(store=getattr(args, "store", None))
    report_plugins(eng.plugins)
    return eng


def report_plugins(plugins: Plugins) -> None:
    """Print deprecation notices and plugins that failed to load (stderr, one line each)."""
    for notice in plugins.notices:
        print(f"exporter: warning: {notice}", file=sys.stderr)
    for failure in plugins.failures:
        print(f"exporter: warning: {failure}", file=sys.stderr)
