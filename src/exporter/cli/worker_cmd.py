"""``exporter worker``: a Celery worker node that renders the service's jobs (Redis broker)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run a Celery rendering worker (Redis broker)",
                       description="Run a Celery worker node that renders jobs sent by "
                                   "`exporter serve --backend celery` and `exporter batch`. "
                                   "Renderers are imported and warmed before the first job.")
    p.add_argument("--config", metavar="FILE", help="TOML config (its [celery] table; see docs/scaling.md)")
    p.add_argument("--broker", metavar="URL", help="Redis URL (default: $EXPORTER_BROKER_URL, the config, "
                                                   "or redis://127.0.0.1:6379/0)")
    p.add_argument("--concurrency", type=int, metavar="N", help="rendering processes on this node (default 1)")
    p.add_argument("--hostname", "-n", metavar="NAME", help="node name, unique per node (default exporter-PID@host)")
    p.add_argument("--loglevel", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    p.add_argument("--no-warm", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..service.celery_backend.settings import load_settings
    from ..service.celery_backend.worker import run_worker

    settings = load_settings(args.config, broker=args.broker, concurrency=args.concurrency)
    return run_worker(settings, hostname=args.hostname, loglevel=args.loglevel, warm=not args.no_warm)
