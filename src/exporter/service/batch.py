"""Batch exports: many pieces rendered through a job backend, resumable, with a manifest.

A *plan* turns a corpus into pieces, each an :class:`~exporter.engine.ExportRequest`:

* ``entries`` -- every entry (of one volume, or all) as its own file; an entry longer than the
  print limit is cut into page ranges that each stay within it;
* ``citations`` -- each volume's references in one file (``ris``, ``bibtex``, ``csl-json``), or,
  with a style and no format, its bibliography in that style (the ``bibliography`` format);
* ``annotations`` -- each reader's own annotations in one file.

Every piece passes :meth:`Engine.check <exporter.engine.Engine.check>` (the print policy and
terms, as for any export) before it is queued, and is queued through the same job backend as
the service's (local worker processes, or Celery workers), whose store records each print in
the audit log under the operator's name.  ``manifest.json`` in the output folder lists each
piece with its file, pages, size and SHA-256; it is rewritten after every change, so a run that
is interrupted can be resumed: finished pieces whose file still matches are skipped, and pieces
whose job was accepted are collected from the backend instead of being rendered again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..engine import Engine, ExportRequest
from ..errors import ExporterError, UsageError

PLANS = ("entries", "citations", "annotations")
DEFAULT_FORMAT = {"entries": "pdf", "citations": "ris", "annotations": "annotations-jsonld"}
MANIFEST = "manifest.json"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Piece:
    name: str  # the file name, without extension; unique in the batch
    request: ExportRequest
    source_pages: int = 0
    pages: list[list[str]] = field(default_factory=list)
    material: bool = False
    extension: str = ""
    media_type: str = ""


def _file_name(text: str) -> str:
    return _SAFE.sub("_", text).strip("._") or "piece"


# -- planning ------------------------------------------------------------------------------------

def plan(engine: Engine, kind: str, *, corpus: str | None, fmt: str | None = None, volume: str | None = None,
         layer: str = "both", annotations: str = "none", user: str | None = None, style: str | None = None,
         accept_terms: bool = False, limit: int | None = None, range_: str | None = None,
         locale: str | None = None, options: dict[str, Any] | None = None) -> list[Piece]:
    """The pieces of a batch (not yet checked against the policy).

    ``style`` and ``locale`` reach formats that print citations; ``options`` are the format's
    own (``{"as": "html"}`` for ``bibliography``)."""
    if kind not in PLANS:
        raise UsageError(f"batch plan {kind!r}: expected one of {', '.join(PLANS)}")
    fmt = fmt or default_format(kind, style)
    loaded = engine.load(corpus)
    volumes = [v.id for v in loaded.volumes] if getattr(loaded, "volumes", None) else sorted(
        {e.volume.id for e in loaded.entries})
    if volume is not None and volume not in volumes:
        raise UsageError(f"--volume {volume!r}: the corpus has {', '.join(volumes)}")
    # Summaries first: an indexed corpus builds only the entries of the volume asked for.
    entries = [loaded.entries[e.order] for e in loaded.summaries(volume)]
    if range_:
        within = {e.id for e in engine.resolve(loaded, ExportRequest(format=fmt, range=range_))}
        entries = [e for e in entries if e.id in within]
    if not entries:
        raise UsageError("the batch selects no entry")
    base: dict[str, Any] = dict(format=fmt, corpus=corpus, layer=layer, style=style, locale=locale,
                                options=dict(options or {}), accept_terms=accept_terms, timeout=None)
    pieces: list[Piece] = []
    if kind == "entries":
        for entry in entries:
            # The limit the engine will apply to this entry (the operator's, the volume's, the archive's).
            entry_limit = limit or engine.print_limit_for(loaded, [entry])
            for pages in _page_ranges(entry, layer, entry_limit):
                name = entry.id + (f".p{pages}" if pages else "")
                pieces.append(Piece(_file_name(name), ExportRequest(
                    entries=entry.id, pages=pages, user=user, annotations=annotations if user else "none", **base)))
    elif kind == "citations":
        for vol in ([volume] if volume else volumes):
            in_vol = [e for e in entries if e.volume.id == vol]
            if not in_vol:
                continue
            pieces.append(Piece(_file_name(f"{vol}.citations"), ExportRequest(
                range=f"{in_vol[0].id}..{in_vol[-1].id}", annotations="none", **base)))
    else:
        readers = [user] if user else list(loaded.users)
        for reader in readers:
            selection: dict[str, Any] = (dict(range=f"{entries[0].id}..{entries[-1].id}") if volume or range_
                                         else dict(all=True))
            pieces.append(Piece(_file_name(f"{reader}.annotations"), ExportRequest(
                user=reader, annotations="mine", **selection, **base)))
    return pieces


def default_format(kind: str, style: str | None) -> str:
    """The format of a plan when none is given: a citations batch with a style is a bibliography
    in that style (RIS has no style); otherwise :data:`DEFAULT_FORMAT`."""
    return "bibliography" if kind == "citations" and style else DEFAULT_FORMAT[kind]


def _page_ranges(entry, layer: str, limit: int) -> list[str | None]:
    """``[None]`` when the entry fits the limit, else page ranges ``"A-B"`` that each fit it."""
    layers = {n: pages for n, pages in entry.pages().items() if layer == "both" or n == layer} or entry.pages()
    labels: list[str] = []
    for pages in layers.values():
        for p in pages:
            if p not in labels:
                labels.append(p)
    keys = sum(max(1, len(p)) for p in layers.values())
    if keys <= limit or not labels or not all(p.isascii() and p.isdigit() for p in labels):
        return [None]  # fits, or unnumbered pages: one piece, which the policy check judges
    numbers = sorted({int(p) for p in labels})
    weight = {n: sum(1 for pages in layers.values() if str(n) in pages) for n in numbers}
    ranges: list[str | None] = []
    start, used, last = None, 0, None
    for n in numbers:
        if start is not None and used + weight[n] > limit:
            ranges.append(f"{start}-{last}")
            start, used = None, 0
        if start is None:
            start = n
        used += weight[n]
        last = n
    if start is not None:
        ranges.append(f"{start}-{last}")
    return ranges


# -- the manifest ----------------------------------------------------------------------------------

class Manifest:
    """``manifest.json``: the batch's parameters and each piece's state, file, pages and checksum."""

    def __init__(self, folder: Path, params: dict[str, Any]) -> None:
        self.path = folder / MANIFEST
        self.data: dict[str, Any] = {"batch": params, "pieces": {}}
        if self.path.exists():
            try:
                old = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UsageError(f"{self.path}: unreadable manifest ({exc}); move it away to start afresh") from None
            # what a run records about itself (who, how often, when it ended) is not the batch
            own = ("runs", "operator", "finished")
            same = {k: v for k, v in old.get("batch", {}).items() if k not in own}
            mine = {k: v for k, v in params.items() if k not in own}
            if same != mine:
                raise UsageError(f"{folder} holds another batch ({old.get('batch', {}).get('plan')}); "
                                 f"use another --output folder")
            self.data = old
            self.data["batch"]["runs"] = old["batch"].get("runs", 0)
        self.data["batch"]["runs"] = self.data["batch"].get("runs", 0) + 1

    def piece(self, name: str) -> dict[str, Any]:
        return self.data["pieces"].setdefault(name, {})

    def finished(self, name: str, folder: Path) -> bool:
        """Done, and the file is there with the recorded checksum."""
        rec = self.data["pieces"].get(name, {})
        if rec.get("state") != "done" or not rec.get("file"):
            return False
        path = folder / rec["file"]
        return path.is_file() and _sha256(path) == rec.get("sha256")

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# -- progress ----------------------------------------------------------------------------------------

class Progress:
    """A one-line progress bar (pages and jobs, rate, time left) on a terminal; lines elsewhere."""

    def __init__(self, jobs: int, pages: int, stream: TextIO = sys.stderr, width: int = 24) -> None:
        self.total_jobs, self.total_pages = jobs, pages
        self.jobs = self.pages = 0
        self.skipped = 0
        self.stream, self.width = stream, width
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0

    def skip(self, pages: int) -> None:
        self.skipped += 1
        self.total_jobs -= 1
        self.total_pages -= pages

    def advance(self, pages: int) -> None:
        self.jobs += 1
        self.pages += pages
        self.show()

    def line(self) -> str:
        elapsed = max(1e-6, time.monotonic() - self.started)
        rate = self.jobs / elapsed
        left = (self.total_jobs - self.jobs) / rate if rate > 0 else float("nan")
        frac = self.jobs / self.total_jobs if self.total_jobs else 1.0
        bar = "#" * int(frac * self.width) + "." * (self.width - int(frac * self.width))
        eta = "--:--" if left != left else f"{int(left) // 60}:{int(left) % 60:02d}"
        return (f"[{bar}] {self.jobs}/{self.total_jobs} jobs, {self.pages}/{self.total_pages} pages, "
                f"{rate:.2f} jobs/s, {self.pages / elapsed:.1f} pages/s, {eta} left")

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.line())
            self.stream.flush()
        elif force or now - self._last >= 2.0 or self.jobs == self.total_jobs:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last = now

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# -- running -------------------------------------------------------------------------------------


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while a job is submitted and written into the manifest.

    An interrupt between the two would leave a queued job the manifest does not know, and the
    resumed batch would render that piece a second time; held back, it arrives just after.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@dataclass
class BatchReport:
    done: int = 0
    skipped: int = 0
    collected: int = 0  # finished by jobs an interrupted run had queued
    failed: list[str] = field(default_factory=list)


def run(pieces: list[Piece], engine: Engine, backend, folder: Path, manifest: Manifest, *, operator: str,
        inflight: int = 4, progress: Progress | None = None, poll: float = 0.05,
        new_job_id: Callable[[], str] | None = None) -> BatchReport:
    """Check, queue and collect ``pieces`` through ``backend`` (a started job backend)."""
    from .jobs import FINISHED, JobSpec, QueueFull
    from .jobs import new_job_id as default_id

    make_id = new_job_id or default_id
    runs = manifest.data["batch"]["runs"]
    report = BatchReport()
    todo: list[Piece] = []
    for piece in pieces:
        try:  # the print policy, per piece, before anything is queued
            check = engine.check(piece.request)
        except ExporterError as exc:
            exc.args = (f"piece {piece.name}: {exc}",) + exc.args[1:]
            raise
        piece.source_pages, piece.pages = check.source_pages, [list(p) for p in check.pages]
        piece.material, piece.extension, piece.media_type = check.material, check.extension, check.media_type
        manifest.piece(piece.name).update(pages=piece.source_pages, request=_request_json(piece.request))
    if progress:
        progress.total_jobs, progress.total_pages = len(pieces), sum(p.source_pages for p in pieces)
    for piece in pieces:
        if manifest.finished(piece.name, folder):
            report.skipped += 1
            if progress:
                progress.skip(piece.source_pages)
        else:
            todo.append(piece)
    manifest.save()
    if progress:
        progress.show(force=True)
    running: dict[str, Piece] = {}
    # Jobs an interrupted run had queued: collect them rather than render again.
    for piece in todo:
        rec = manifest.piece(piece.name)
        if rec.get("state") == "queued" and rec.get("job"):
            status = backend.status(rec["job"])
            if status is not None and status.state not in ("failed", "cancelled"):
                running[rec["job"]] = piece
    waiting = [p for p in todo if p not in running.values()]
    while waiting or running:
        while waiting and len(running) < inflight:
            piece = waiting[0]
            req = _request_json(piece.request)
            spec = JobSpec(id=make_id(), owner=operator, request=req, filename=f"{piece.name}.{piece.extension}",
                           media_type=piece.media_type, source_pages=piece.source_pages, pages=piece.pages,
                           material=piece.material, reader=f"batch:{operator}", quota=0)
            full: QueueFull | None = None
            with _interrupts_held():
                try:
                    backend.submit(spec)
                except QueueFull as exc:
                    full = exc
                else:
                    waiting.pop(0)
                    running[spec.id] = piece
                    manifest.piece(piece.name).update(state="queued", job=spec.id, queued_run=runs)
                    manifest.save()
            if full is not None:
                time.sleep(min(full.retry_after, 2))
                break
        for job_id, piece in list(running.items()):
            status = backend.status(job_id)
            if status is None or status.state not in FINISHED:
                continue
            del running[job_id]
            rec = manifest.piece(piece.name)
            if status.state == "done":
                path = backend.result(job_id)
                if path is None:
                    rec.update(state="failed", error="the result expired before it was collected")
                    report.failed.append(piece.name)
                else:
                    target = folder / f"{piece.name}.{piece.extension}"
                    part = target.with_name(target.name + ".part")
                    shutil.copyfile(path, part)
                    os.replace(part, target)
                    rec.update(state="done", file=target.name, sha256=_sha256(target), size=target.stat().st_size,
                               rendered_pages=(status.info or {}).get("rendered_pages"), error=None,
                               media_type=status.media_type or piece.media_type)
                    report.done += 1
                    if rec.get("queued_run", runs) < runs:
                        report.collected += 1
            else:
                rec.update(state=status.state, error=status.error)
                report.failed.append(piece.name)
            manifest.save()
            if progress:
                progress.advance(piece.source_pages)
        if running:
            time.sleep(poll)
    if progress:
        progress.close()
    manifest.data["batch"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest.save()
    return report


def _request_json(request: ExportRequest) -> dict[str, Any]:
    data = asdict(request)
    data["corpus"] = str(data["corpus"]) if data["corpus"] is not None else None
    return data


def open_backend(config, annotation_store: str | None = None):
    """The job backend ``config`` names, with its store in ``config.state_path``, started.

    Local workers read ``annotation_store`` (a store URL; ``None``: the corpus's annotation
    files); Celery workers read the store of their own config.
    """
    import importlib

    from .store import JobStore

    config.state_path.mkdir(parents=True, exist_ok=True)
    store = JobStore(config.state_path / "jobs.sqlite3")
    if config.jobs.backend == "local":
        from .local import LocalBackend

        backend = LocalBackend(config, store)
        backend.annotation_store = annotation_store
    else:
        module, _, name = config.jobs.backend.partition(":")
        backend = getattr(importlib.import_module(module), name)(config, store)
    backend.start()
    return backend, store
