"""``exporter batch``: render many pieces through the configured job backend, resumably."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help="render many pieces (every entry, each volume's citations, each reader's annotations)",
        description="Render a whole plan through the job backend (local worker processes, or Celery workers "
                    "with --backend celery), with a progress bar and a manifest (piece -> file, pages, "
                    "checksum) in the output folder. Running it again resumes: finished pieces are skipped. "
                    "Plans: entries (every entry as its own file, cut into pieces within the print limit), "
                    "citations (each volume's references; with --style, its bibliography in that style), "
                    "annotations (each reader's own annotations).")
    p.add_argument("plan", choices=("entries", "citations", "annotations"))
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="folder for the files and manifest.json")
    p.add_argument("--corpus", metavar="PATH", help="a TEI volume or corpus folder (default: the config's, "
                                                   "or the bundled sample)")
    p.add_argument("--volume", metavar="ID", help="only this volume")
    p.add_argument("--range", metavar="A..B", help="only the entries from A to B (volume order)")
    p.add_argument("--format", metavar="NAME", help="output format (default: pdf, ris, annotations-jsonld by plan; "
                                                   "citations with --style: bibliography)")
    p.add_argument("--layer", default="both", choices=("translation", "transcription", "both"))
    p.add_argument("--user", metavar="NAME", help="entries: include this reader's visible annotations; "
                                                  "annotations: only this reader")
    p.add_argument("--style", metavar="NAME", help="citation style for formats that print citations (a name or "
                                                  "CSL id, see 'exporter styles')")
    p.add_argument("--locale", metavar="LANG", help="citation locale, e.g. en-GB, ru-RU (default: the style's)")
    p.add_argument("--as", dest="as_", choices=("text", "html"),
                   help="bibliography format: plain text (default), or HTML with the records' values escaped")
    p.add_argument("--accept-terms", action="store_true", help="accept the archive's terms (needed for prints)")
    p.add_argument("--operator", metavar="NAME", help="who runs the batch, for the audit log (default: login name)")
    p.add_argument("--config", metavar="FILE", help="the service's TOML config (job backend, corpus, limits)")
    p.add_argument("--store", metavar="URL", help="the annotation store to read (default: the service's: the "
                                                 "config's [store] url, or its embedded store; none with "
                                                 "--corpus, whose annotation files are read)")
    p.add_argument("--backend", metavar="NAME", help="local (default: the config's) or celery")
    p.add_argument("--broker", metavar="URL", help="Redis URL for --backend celery")
    p.add_argument("--workers", type=int, metavar="N", help="local backend: worker processes")
    p.add_argument("--state", metavar="DIR", help="job state and audit log (default: OUTPUT/.batch-state)")
    p.add_argument("--inflight", type=int, default=8, metavar="N", help="pieces queued at a time (default 8)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from ..engine import Engine
    from ..errors import RenderError, UsageError
    from ..service.batch import Manifest, Progress, open_backend, plan
    from ..service.batch import run as run_batch
    from ..service.config import _validate, load_config

    if args.inflight < 1:
        raise UsageError("--inflight must be at least 1")
    config = load_config(args.config)
    if args.backend:
        config.jobs.backend = args.backend
    if args.broker:
        os.environ["EXPORTER_BROKER_URL"] = args.broker  # read by the Celery backend's settings
    if args.workers:
        config.jobs.workers = args.workers
    if args.corpus:
        config.corpus.path = str(Path(args.corpus).resolve())
    # The annotations the batch reads: those `exporter serve` with this config serves (read
    # before the batch's own state folder replaces the service's), unless --corpus names
    # another corpus and no store is configured: then that corpus's annotation files.
    store_url = args.store or config.store.url or (None if args.corpus else config.store_url)
    if store_url and not (args.store or config.store.url):
        config.state_path.mkdir(parents=True, exist_ok=True)  # the service's embedded store's folder
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {args.output}: not a folder")
    output.mkdir(parents=True, exist_ok=True)
    config.service.state_dir = str(Path(args.state).resolve() if args.state else (output / ".batch-state").resolve())
    config.jobs.queue_size = max(config.jobs.queue_size, args.inflight)
    _validate(config)

    annotation_store = None
    if store_url:
        from ..service.store_setup import open_store

        config.store.url = store_url
        annotation_store = open_store(config)  # created and filled from the corpus if new, as serve does
    engine = Engine(store=annotation_store)
    if config.policy.print_limit:
        engine.print_limit = config.policy.print_limit
    pieces = plan(engine, args.plan, corpus=config.corpus_path, fmt=args.format, volume=args.volume,
                  layer=args.layer, annotations="visible" if args.user else "none", user=args.user,
                  style=args.style, accept_terms=args.accept_terms, range_=args.range, locale=args.locale,
                  options={"as": args.as_} if args.as_ else None)
    operator = args.operator or _login()
    params = {"plan": args.plan, "corpus": config.corpus_path, "volume": args.volume, "range": args.range,
              "format": pieces[0].request.format if pieces else args.format,
              "layer": args.layer, "user": args.user, "style": args.style, "operator": operator}
    # Only when given: a manifest written before these existed still matches its own batch.
    params.update({k: v for k, v in (("locale", args.locale), ("as", args.as_)) if v})
    manifest = Manifest(output, params)
    backend, store = open_backend(config, store_url)
    drain = False
    try:
        report = run_batch(pieces, engine, backend, output, manifest, operator=operator,
                           inflight=args.inflight, progress=Progress(len(pieces), 0))
        drain = True
    except KeyboardInterrupt:
        done = sum(1 for rec in manifest.data["pieces"].values() if rec.get("state") == "done")
        print(f"\nexporter: batch interrupted with {done} of {len(pieces)} pieces finished; run the same "
              f"command again to finish the rest", file=sys.stderr)
        return 130
    finally:
        backend.close(drain)
        store.close()
        if annotation_store is not None:
            annotation_store.close()
    print(f"batch: {report.done} piece{'s' if report.done != 1 else ''} rendered"
          f"{f' ({report.collected} queued by an earlier run)' if report.collected else ''}, "
          f"{report.skipped} already finished, {len(report.failed)} failed; manifest {manifest.path}")
    if report.failed:
        raise RenderError(f"{len(report.failed)} piece(s) failed (first: {report.failed[0]}: "
                          f"{manifest.piece(report.failed[0]).get('error')}); run again to retry them")
    return 0


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "operator"
