"""Options shared by several sub-commands, and building the engine."""

from __future__ import annotations

import argparse
import os
import sys

from ..engine import Engine, ExportRequest
from ..plugins import Plugins, load_plugins
from ..registry import Option


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


_loaded: dict[tuple[str | None, str | None], Plugins] = {}
#: Format options are offered as ``--NAME``; prefix of their ``argparse`` destinations.
_OPTION_DEST = "format_option_"


def plugins() -> Plugins:
    """The plugins of this command, loaded once (the parser's format options and the engine
    share them), again when the plugin environment variables change."""
    key = (os.environ.get("EXPORTER_PLUGINS"), os.environ.get("EXPORTER_DISABLE_PLUGINS"))
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load_plugins()
    return _loaded[key]


def engine(args: argparse.Namespace) -> Engine:
    """Build the engine and report plugin notices and failures (stderr, one line each)."""
    eng = Engine(plugins(), store=getattr(args, "store", None))
    eng.hard_stop = True  # a renderer that ignores --timeout ends this process, not just the call
    report_plugins(eng.plugins)
    return eng


def add_format_options(p: argparse.ArgumentParser) -> None:
    """One ``--NAME`` per option the registered formats declare (``--paper``, ``--pdf-variant``).

    Values are checked by the engine against the chosen format, which refuses an option it
    does not take.  An option spelled like an option of the command itself is left out here.
    """
    by_name: dict[str, list[tuple[str, Option]]] = {}
    for fmt in plugins().formats:
        for option in fmt.options:
            by_name.setdefault(option.name, []).append((fmt.name, option))
    if not by_name:
        return
    group = p.add_argument_group("format options (each taken by the formats named)")
    for name, declared in sorted(by_name.items()):
        option = declared[0][1]
        static = option.choices if isinstance(option.choices, tuple) else ()
        metavar = ("{" + ",".join(static) + "}" if static
                   else "VALUE" if option.type is str else option.type.__name__.upper())
        formats = ", ".join(f for f, _ in declared)
        try:
            group.add_argument(option.flag, dest=_OPTION_DEST + name, metavar=metavar,
                               help=f"{option.help} [{formats}]" if option.help else f"[{formats}]")
        except argparse.ArgumentError:  # spelled like one of the command's own options
            continue


def format_options_of(args: argparse.Namespace) -> dict[str, object]:
    """The format options given on the command line, by option name."""
    return {k[len(_OPTION_DEST):]: v for k, v in vars(args).items()
            if k.startswith(_OPTION_DEST) and v is not None}


def report_plugins(plugins: Plugins) -> None:
    """Print deprecation notices and plugins that failed to load (stderr, one line each)."""
    for notice in plugins.notices:
        print(f"exporter: warning: {notice}", file=sys.stderr)
    for failure in plugins.failures:
        print(f"exporter: warning: {failure}", file=sys.stderr)
