"""``exporter serve``: the export service over HTTP (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import os
import socket
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the export API over HTTP",
        description="Serve the export API (see docs/service.md). With no --config it serves the bundled "
                    "sample with a signing key created on first use in the state folder "
                    "($EXPORTER_STATE, default ~/.local/state/exporter); `exporter token` signs with it.")
    p.add_argument("--config", metavar="FILE", help="a TOML configuration (docs/service.sample.toml)")
    p.add_argument("--host", help="address to listen on (default: [service] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: [service] port, 8080; 0 picks a free one)")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes that render (default: [jobs] workers)")
    p.add_argument("--backend", metavar="NAME", help="job backend: local (default: [jobs] backend) or celery "
                                                    "(workers started with `exporter worker`)")
    p.add_argument("--broker", metavar="URL", help="Redis URL for --backend celery (default: $EXPORTER_BROKER_URL, "
                                                   "[celery] broker_url, redis://127.0.0.1:6379/0)")
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import logging
    import signal

    import uvicorn

    from ..errors import UsageError
    from ..service.app import create_app
    from ..service.config import _validate, load_config

    config = load_config(args.config)
    if args.host:
        config.service.host = args.host
    if args.port is not None:
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port {args.port}: expected 0-65535")
        config.service.port = args.port
    if args.workers is not None:
        config.jobs.workers = args.workers
    if args.backend is not None:
        config.jobs.backend = args.backend  # "celery" is resolved by _validate
    if args.broker:
        os.environ["EXPORTER_BROKER_URL"] = args.broker  # read by the Celery backend's settings
    _validate(config)
    logging.basicConfig(level=logging.INFO, format="exporter: %(message)s", stream=sys.stderr)
    # The store's migrations run at start; Alembic's INFO lines (plugins, DDL mode) are its own business.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sockets = None
    if config.service.port == 0:
        # Bind here, so that the start-up line (and the app) know the port the system chose.
        family = socket.getaddrinfo(config.service.host, 0, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((config.service.host, 0))
        config.service.port = sock.getsockname()[1]
        sockets = [sock]
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(
        app, host=config.service.host, port=config.service.port, lifespan="on",
        access_log=args.access_log or bool(os.environ.get("EXPORTER_ACCESS_LOG")), log_level="info",
        server_header=False, timeout_graceful_shutdown=None))
    # uvicorn handles SIGTERM itself (stop listening, finish requests, then our drain) and sends
    # it again to the process once it is done; by then the work is finished, so that second
    # delivery only sets a flag already set, and the command ends with 0.  A SIGTERM that comes
    # before uvicorn has put in its handler asks the server to stop as soon as it has started.
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    print(f"exporter: serving {config.corpus_path or 'the bundled sample'} on "
          f"http://{config.service.host}:{config.service.port} with "
          f"{'Celery workers' if 'celery' in config.jobs.backend else f'{config.jobs.workers} worker(s)'}; "
          f"state in {config.state_path}", file=sys.stderr, flush=True)
    server.run(sockets=sockets)
    return 0 if server.started else 1
