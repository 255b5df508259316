"""``exporter token``: a signed token for a reader, as the archive's login issues."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "token", help="print a signed token for a reader",
        description="Print a JWT for a reader, signed with the service's configured key (the key "
                    "`exporter serve` creates on first use when none is configured).")
    p.add_argument("--config", metavar="FILE", help="the service's TOML configuration")
    p.add_argument("--user", required=True, metavar="NAME", help="the reader (the token's 'sub')")
    p.add_argument("--ttl", type=int, metavar="SECONDS", help="lifetime (default: [auth] default_ttl, 3600)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..service.auth import issue
    from ..service.config import load_config

    print(issue(load_config(args.config), args.user, args.ttl))
    return 0
