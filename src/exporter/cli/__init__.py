"""The ``exporter`` command line.

Each sub-command lives in its own module with ``add_parser(subparsers)`` and ``run(args)``.
Exit codes: 0 done; 2 usage; other non-zero codes for refusals and failures (see
:mod:`exporter.errors`), each with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import ExporterError

COMMANDS = ("export", "formats", "toc", "cite", "styles", "plugins", "serve", "token", "worker", "batch", "store")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exporter",
        description="Export, print and cite entries of a digital archive of historical documents.",
    )
    parser.add_argument("--version", action="version", version=f"exporter {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}_cmd")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    if sys.stdout is None:  # started with stdout closed
        if getattr(args, "output", "-") in (None, "-"):
            print("exporter: error: standard output is closed; nothing was written", file=sys.stderr)
            return 2
        sys.stdout = open(os.devnull, "w")  # only the one-line report is lost; the file is written
    try:
        return int(args.run(args) or 0)
    except ExporterError as exc:
        print(f"exporter: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", 2)  # SIGTERM/SIGHUP arrive as a KeyboardInterrupt subclass
        print(f"exporter: {'interrupted' if signum == 2 else exc}; nothing was written", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return 1


def run() -> None:
    """Console-script entry point: run :func:`main`, then let the interpreter finish normally.

    The process ends through :func:`sys.exit`, so atexit handlers, plugins' cleanup, finalisers
    and coverage data all run.  A reader that closed our stdout early (``exporter cite … | head``)
    gets no traceback: what could be written was written, and the exit code says the rest was not.
    """
    code = main()
    try:
        if sys.stdout is not None:  # started with stdout closed
            sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so that the interpreter's own final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        code = code or 1
    sys.exit(code)
