"""Running a Celery worker node: renderers imported and warmed before the pool starts.

The prefork pool forks its children from the node's main process, so everything loaded here
-- the plugins, the corpus, the PDF renderer's modules and fonts, a first render's caches -- is
there in every child from its first job, and again in each child that replaces a recycled one.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from .app import make_app, runtime
from .settings import CelerySettings

log = logging.getLogger("exporter.service.celery_backend")

#: The warm-up render: one short sample entry as PDF (the heaviest renderer) and as DOCX.
WARM_FORMATS = ("pdf", "docx")


def warm_up(settings: CelerySettings, app) -> list[str]:
    """Load the corpus and render a short selection in each warm format; returns what was warmed."""
    from ...engine import ExportRequest

    rt = runtime(app)
    corpus = rt.engine.load(settings.corpus)
    first = corpus.entries[0].id
    warmed = []
    with tempfile.TemporaryDirectory(prefix="exporter-warm-") as tmp:
        for name in WARM_FORMATS:
            if name not in rt.engine.plugins.formats:
                continue
            request = ExportRequest(format=name, entries=first, corpus=settings.corpus, accept_terms=True,
                                    annotations="none", timeout=None)
            try:
                rt.engine.export(request, Path(tmp) / f"warm.{name}")
                warmed.append(name)
            except Exception as exc:  # a cold renderer still works; say why
                log.warning("warm-up of %s failed: %s", name, exc)
    return warmed


def _after_fork(**_: object) -> None:
    from . import app as app_module

    if app_module._runtime is not None:
        app_module._runtime.after_fork()


def run_worker(settings: CelerySettings, hostname: str | None = None, loglevel: str = "INFO",
               warm: bool = True) -> int:
    """Start a worker node in this process and block until it is stopped (SIGTERM: warm shutdown)."""
    logging.basicConfig(level=getattr(logging, loglevel.upper(), logging.INFO),
                        format="[%(asctime)s: %(levelname)s/%(processName)s] %(message)s", stream=sys.stderr)
    # weasyprint logs every layout step at INFO: one line per page per job.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    app = make_app(settings)
    if warm:
        from ...errors import ExporterError

        try:
            warmed = warm_up(settings, app)
            log.info("renderers warm: %s", ", ".join(warmed) or "none")
        except ExporterError as exc:  # e.g. the annotation store is not reachable yet
            log.warning("renderers cold: %s; jobs fail with this reason until it is fixed", exc)
    from celery.signals import worker_process_init

    worker_process_init.connect(_after_fork, weak=False)
    node = hostname or f"exporter-{os.getpid()}@{socket.gethostname()}"
    # Made before the pool forks, so that every rendering process writes its results there.
    root = scratch_root()
    sweep_scratch(root)
    scratch = runtime(app).scratch = tempfile.mkdtemp(prefix=f"exporter-worker-{os.getpid()}-", dir=root)
    # No gossip, mingle or heartbeat: those are event messages for monitors and other nodes,
    # sent every few seconds; nothing here reads them (readiness is the canary job), and on a
    # node whose cores all render, their CPU comes out of the renders.
    try:
        worker = app.Worker(hostname=node, concurrency=settings.concurrency, loglevel=loglevel,
                            pool="prefork", optimization="fair", without_gossip=True, without_mingle=True,
                            without_heartbeat=True, quiet=True)
        worker.start()
        return int(worker.exitcode or 0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


#: Free space a memory-backed folder must have to hold results on their way to the store.
SCRATCH_FREE = 256 * 1024 * 1024


def sweep_scratch(root: str) -> None:
    """Remove the scratch folders of nodes on this machine that ended without removing theirs
    (killed with SIGKILL): those whose process is gone."""
    for path in Path(root).glob("exporter-worker-*-*"):
        pid = path.name.split("-")[2]
        try:
            if not pid.isdigit() or path.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # another user's process, or the folder is already gone


def scratch_root() -> str:
    """``/dev/shm`` when it is there with room to spare, else the temporary folder.

    A result's file is written (with the engine's fsyncs) and read back at once; on a disk under
    load those fsyncs cost more than the render of a small export.
    """
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
        if os.path.isdir(shm) and os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize >= SCRATCH_FREE:
            return shm
    except OSError:
        pass
    return tempfile.gettempdir()
