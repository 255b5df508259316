"""The FastAPI application: thin routes over the engine and a job backend.

Selection, visibility, the print policy and rendering are the engine's: the routes turn HTTP
into :class:`~exporter.engine.ExportRequest` objects and engine errors into problem responses.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..engine import CiteRequest, CiteResult, Engine, ExportRequest
from ..errors import ExporterError, PolicyRefusal
from . import problems
from .asgi import Guard
from .auth import Identity, TokenError, Verifier
from .config import Config
from .jobs import FINISHED, BackendUnavailable, JobBackend, JobSpec, JobStatus, QueueFull, new_job_id
from .metrics import CONTENT_TYPE as METRICS_TYPE
from .metrics import Metrics
from .models import LOCALE_PATTERN, ExportBody
from .problems import Problem
from .store import JobStore, QuotaSpent

log = logging.getLogger("exporter.service")

#: Longest ``Prefer: wait=N`` honoured, in seconds.
MAX_WAIT = 300
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.I)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
CHUNK = 64 * 1024


class Service:
    """What the routes share: configuration, the engine, the token verifier, the backend."""

    def __init__(self, config: Config, backend: JobBackend | None = None) -> None:
        self.config = config
        from .store_setup import open_store

        #: The annotation store (annotations, groups, folders, bookmarks): the engine reads it.
        self.annotation_store = open_store(config)
        self.engine = Engine(store=self.annotation_store)
        if config.policy.print_limit:
            self.engine.print_limit = config.policy.print_limit
        self.verifier = Verifier(config)
        self.store = JobStore(config.state_path / "jobs.sqlite3")
        self.backend = backend if backend is not None else make_backend(config, self.store)
        self.metrics = Metrics()
        self.scratch = config.state_path / "tmp"
        #: citeproc-py's processors and the citation caches are not shared across threads.
        self.cite_lock = threading.Lock()

    def request(self, identity: Identity, **fields: Any) -> ExportRequest:
        """An engine request for this reader, on the configured corpus and print limit.

        A signed token for a reader the archive's data does not know is refused here, without
        the engine's list of known readers (which the command line prints to its own user).
        """
        if identity.user is None and fields.get("annotations") == "mine":
            # the engine's own reason names the command line's --user, which a client cannot give
            raise Problem(401, "annotations 'mine' needs a token", headers={"WWW-Authenticate": "Bearer"})
        if identity.user is not None:
            users = self.engine.load(self.config.corpus_path).users
            if users and identity.user not in users:
                raise Problem(403, f"reader '{identity.user[:64]}' is not known to this archive")
        return ExportRequest(corpus=self.config.corpus_path, user=identity.user,
                             print_limit=self.config.policy.print_limit or None, **fields)


#: The query parameters of ``GET /v1/export`` itself: a format option spelled like one of them
#: is not taken from the query.
_EXPORT_QUERY = frozenset({"format", "entries", "range", "folder", "dates", "all", "layer", "pages", "annotations",
                           "tags", "creators", "style", "locale", "token", "access_token"})


def make_backend(config: Config, store: JobStore) -> JobBackend:
    if config.jobs.backend == "local":
        from .local import LocalBackend

        return LocalBackend(config, store)
    import importlib

    module, _, name = config.jobs.backend.partition(":")
    return getattr(importlib.import_module(module), name)(config, store)


# -- helpers ---------------------------------------------------------------------------------

def engine_call(fn, *args, **kwargs):
    """Run an engine call in the thread pool, turning its errors into problems."""
    async def run():
        try:
            return await run_in_threadpool(fn, *args, **kwargs)
        except ExporterError as exc:
            raise problems.from_engine(exc) from None
    return run()


#: Results up to this size are answered from one read; larger ones are streamed from the file.
SMALL_RESULT = 1 << 20


def waited_file(path: str, status: JobStatus, headers: dict[str, str]) -> Response:
    """The answer to ``Prefer: wait``: the finished job's file, with its media type and a file name.

    A small file (a ten-page PDF is some 100 KB) is read at once, on the event loop: streaming it
    takes a thread-pool trip for the size, the opening, each 64 KB chunk and the closing, which
    is most of the time between the job's end and the answer.  A larger one (or one whose size
    the job did not record) is streamed.  (``GET …/result`` always streams, with the validators
    and byte ranges a viewer may ask for; the answer to a POST has no use for them.)
    """
    headers = {"Content-Disposition": disposition(status.filename), **headers}
    if status.size is not None and status.size <= SMALL_RESULT:
        try:
            with open(path, "rb") as f:
                content = f.read(SMALL_RESULT + 1)
        except OSError:
            pass  # removed since: the streamed answer reports it as it always did
        else:
            if len(content) <= SMALL_RESULT:
                return Response(content, media_type=status.media_type, headers=headers)
    return FileResponse(path, media_type=status.media_type, headers=headers)


def disposition(filename: str) -> str:
    ascii_name = _SAFE.sub("_", filename) or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def suggested_name(body: ExportBody | dict, extension: str) -> str:
    get = body.get if isinstance(body, dict) else lambda k: getattr(body, k)
    entries = get("entries")
    if isinstance(entries, list):
        entries = entries[0] if len(entries) == 1 else f"{entries[0]}-and-{len(entries) - 1}-more"
    for value in (entries, get("range"), get("folder"), get("dates")):
        if value:
            stem = _SAFE.sub("_", str(value).replace("..", "_to_")).strip("._")[:80]
            break
    else:
        stem = "all"
    return f"{stem or 'export'}.{extension}"


def job_view(status: JobStatus) -> dict[str, Any]:
    url = f"/v1/exports/{status.id}/result" if status.state == "done" and not status.result_expired else None
    return {"id": status.id, "state": status.state, "progress": status.progress,
            "queue_position": status.queue_position, "error": status.error, "result": url,
            "result_expired": status.result_expired, "attempts": status.attempts,
            "media_type": status.media_type, "filename": status.filename, "size": status.size,
            "created": status.created, "started": status.started, "finished": status.finished,
            **({"source_pages": status.info.get("source_pages"), "rendered_pages": status.info.get("rendered_pages"),
                "warnings": status.info.get("warnings") or []} if status.state == "done" else {})}


def parse_wait(prefer: str | None) -> float | None:
    if not prefer:
        return None
    m = _WAIT.search(prefer)
    return min(float(m.group(1)), MAX_WAIT) if m else None


def split_ids(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 100_000:
        raise Problem(400, "entries: too many ids")
    return value


async def identity(request: Request, authorization: Annotated[str | None, Header()] = None) -> Identity:
    """The reader named by the bearer token; anonymous without one; 401 for a bad token.

    A coroutine on purpose: checking a signature is a few microseconds of CPU, and FastAPI
    would hand a plain function to a worker thread (two thread switches on every request)."""
    try:
        return request.app.state.service.verifier.identity(authorization)
    except TokenError as exc:
        raise Problem(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


Reader = Annotated[Identity, Depends(identity)]


# -- the application -------------------------------------------------------------------------

def create_app(config: Config, backend: JobBackend | None = None) -> Guard:
    """The ASGI application for ``config`` (wrapped in :class:`~exporter.service.asgi.Guard`)."""
    service = Service(config, backend)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        service.scratch.mkdir(parents=True, exist_ok=True)
        await run_in_threadpool(service.engine.load, config.corpus_path)  # fail early on a bad corpus
        service.backend.start()
        try:
            yield
        finally:
            # Draining waits for running renders: off the event loop.
            await run_in_threadpool(service.backend.close, True)
            service.store.close()

    # No /docs or /redoc: their pages load scripts from a third-party CDN into the reader's browser.
    app = FastAPI(
        title="exporter", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="The export service of the digital archive: prints (PDF, at most ten source pages, "
                    "after accepting the terms), downloads, citations and annotation exports.")
    app.state.service = service

    # -- errors ------------------------------------------------------------------------------
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        return JSONResponse(exc.body(request.url.path), status_code=exc.status, headers=exc.headers,
                            media_type=problems.MEDIA_TYPE)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        msg = first.get("msg", "invalid request")
        return await on_problem(request, Problem(400, f"{where}: {msg}"))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else problems.TITLES.get(exc.status_code, "error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such resource: {request.url.path}"
        return await on_problem(request, Problem(exc.status_code, detail, headers=dict(exc.headers or {})))

    @app.exception_handler(BackendUnavailable)
    async def on_unavailable(request: Request, exc: BackendUnavailable):
        # A backend whose store is unreachable (Redis down) says so from any route, not only submit.
        retry = str(getattr(exc, "retry_after", 5))
        return await on_problem(request, Problem(503, str(exc), headers={"Retry-After": retry}))

    # -- health ------------------------------------------------------------------------------
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        """A canary job went through the worker pool recently and the queue has room."""
        ok, why = service.backend.readiness()
        if not ok:
            raise Problem(503, why, headers={"Retry-After": "5"})
        return {"status": "ready", "queue_depth": service.backend.queue_depth()}

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    async def metrics():
        """Prometheus text: queue depth, job seconds, failures, worker restarts, responses by class."""
        return PlainTextResponse(service.metrics.render(service.backend.stats()), media_type=METRICS_TYPE)

    # -- reading -----------------------------------------------------------------------------
    def corpus():
        return service.engine.load(config.corpus_path)

    @app.get("/v1/volumes", tags=["reading"])
    async def volumes(reader: Reader) -> list[dict[str, Any]]:
        """The volumes of the corpus: identity, bibliographic data, terms and entry count."""
        c = await engine_call(corpus)
        counts = c.entry_counts()
        return [{"id": v.id, "title": v.title, "editors": [p.display for p in v.editors], "publisher": v.publisher,
                 "place": v.place, "year": v.year, "series": v.series, "identifier": v.identifier,
                 "languages": v.languages, "terms": v.terms, "url": v.base_url,
                 "entries": counts.get(v.id, 0)} for v in c.volumes]

    @app.get("/v1/volumes/{volume}/entries", tags=["reading"])
    async def volume_entries(volume: str, reader: Reader) -> list[dict[str, Any]]:
        """The table of contents of one volume (the rows of ``exporter toc --json``)."""
        c = await engine_call(corpus)
        if not any(v.id == volume for v in c.volumes):
            raise Problem(404, f"unknown volume '{volume}'; known: {', '.join(v.id for v in c.volumes)}")
        return [{"id": e.id, "title": e.title, "date": e.date.iso, "volume": e.volume.id, "pages": e.pages()}
                for e in c.summaries(volume)]

    @app.get("/v1/entries/{entry_id}", tags=["reading"])
    async def entry(entry_id: str, reader: Reader) -> dict[str, Any]:
        """One entry as the ``json`` format gives it, with the annotations this reader may see.

        Reading is not printing: the archive shows the entry online anyway, so no print policy
        applies; the json format (through the registry) writes the assembled entry.
        """
        if "," in entry_id or not entry_id.strip():
            raise Problem(400, "give one entry id")
        req = service.request(reader, format="json", entries=entry_id, annotations="visible")

        def read() -> dict[str, Any]:
            doc = service.engine.assemble(req)
            buf = io.BytesIO()
            service.engine.plugins.formats.get("json").render(doc, buf)
            return json.loads(buf.getvalue())["entries"][0]

        return await engine_call(read)

    @app.get("/v1/formats", tags=["reading"])
    async def formats(reader: Reader) -> list[dict[str, Any]]:
        """Output formats (the rows of ``exporter formats --json``)."""
        return [{"name": f.name, "media_type": f.media_type, "extension": f.extension, "plugin": f.plugin,
                 "print_limited": f.material, "description": f.description,
                 "options": [o.describe() for o in f.options]} for f in service.engine.plugins.formats]

    @app.get("/v1/styles", tags=["reading"])
    async def styles(reader: Reader, search: str | None = None,
                     featured: bool = False) -> list[dict[str, Any]]:
        """Citation styles (the rows of ``exporter styles --json``; ``search`` and ``featured`` as
        its ``--search`` and ``--featured``)."""
        return service.engine.style_rows(search, featured_only=featured)

    # -- jobs ------------------------------------------------------------------------------
    async def accept(body: ExportBody, reader: Identity, prefer: str | None):
        def accepted() -> JobStatus:
            req = service.request(
                reader, format=body.format, entries=",".join(body.entries) if body.entries else None,
                range=body.range, folder=body.folder, dates=body.dates, all=body.all, layer=body.layer,
                pages=body.pages, annotations=body.annotations, tags=list(body.tags),
                creators=list(body.creators), style=body.style, locale=body.locale,
                accept_terms=body.accept_terms, options=dict(body.options))
            check = service.engine.check(req)  # the policy, before anything is queued
            data = asdict(req)
            data["corpus"] = str(data["corpus"]) if data["corpus"] is not None else None
            spec = JobSpec(id=new_job_id(), owner=reader.user, request=data,
                           filename=suggested_name(body, check.extension), media_type=check.media_type,
                           source_pages=check.source_pages, pages=[list(p) for p in check.pages],
                           material=check.material, reader=reader.key,
                           quota=config.quotas.pages_per_day if check.material else 0)
            return service.backend.submit(spec)

        # One trip to the thread pool: the reader check reads the corpus (which may mean the
        # annotation store), the backend writes the job's row (and may talk to its broker).
        try:
            status = await engine_call(accepted)
        except QueueFull as exc:
            raise Problem(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
        except QuotaSpent as exc:
            raise Problem(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
        except BackendUnavailable as exc:
            raise Problem(503, str(exc), headers={"Retry-After": str(getattr(exc, "retry_after", 5))}) from None
        location = f"/v1/exports/{status.id}"
        wait = parse_wait(prefer)
        if wait:
            waited = await service.backend.wait(status.id, wait)
            if waited is not None and waited.state == "done":
                path = service.backend.result(waited.id)
                if path:
                    return waited_file(path, waited, {"Location": location, "Preference-Applied": f"wait={wait:g}"})
            if waited is not None and waited.state == "failed":
                code = int(waited.info.get("status") or 500)
                raise Problem(code, str(waited.error) if code < 500 else f"the export failed: {waited.error}",
                              job=waited.id, headers={"Location": location})
            if waited is not None:
                status = waited
        return JSONResponse(job_view(status), status_code=202, headers={"Location": location})

    @app.post("/v1/exports", tags=["exports"], status_code=202,
              responses={200: {"description": "the file (with Prefer: wait=N, when the job finished in time)"},
                         202: {"description": "accepted; poll the Location"},
                         422: {"description": "refused by the print policy"},
                         429: {"description": "queue full or quota spent"}})
    async def create_export(body: ExportBody, reader: Reader, prefer: Annotated[str | None, Header()] = None):
        """Queue an export.  The print policy (page limit, terms) is checked before anything is queued."""
        return await accept(body, reader, prefer)

    @app.post("/v1/exports/check", tags=["exports"])
    async def check_export(body: ExportBody, reader: Reader) -> dict[str, Any]:
        """What an export of this body would cover, without queuing it: the engine's count of the
        distinct source pages (the print policy's own) and the limit that applies.

        The terms are taken as accepted here (the count does not depend on them); an over-limit
        selection is answered with ``within_limit: false``, not refused.  The reader's page shows
        it live in the Print dialog; ``POST /v1/exports`` remains the judge.
        """
        req = service.request(
            reader, format=body.format, entries=",".join(body.entries) if body.entries else None,
            range=body.range, folder=body.folder, dates=body.dates, all=body.all, layer=body.layer,
            pages=body.pages, annotations=body.annotations, tags=list(body.tags), creators=list(body.creators),
            style=body.style, accept_terms=True, options=dict(body.options))

        def run() -> dict[str, Any]:
            c = service.engine.load(req.corpus)
            limit = service.engine.print_limit_for(c, service.engine.resolve(c, req), req)
            try:
                check = service.engine.check(req)
            except PolicyRefusal as exc:
                if exc.pages is None:
                    raise
                return {"format": req.format, "source_pages": exc.pages, "limit": exc.limit or limit,
                        "within_limit": False, "material": True}
            return {"format": check.format, "source_pages": check.source_pages, "limit": limit,
                    "within_limit": not check.material or check.source_pages <= limit,
                    "material": check.material, "entries": check.entries}

        return await engine_call(run)

    def own_job(job_id: str, reader: Identity) -> JobStatus:
        status = service.backend.status(job_id) if len(job_id) <= 64 else None
        if status is None or status.owner != reader.user:
            raise Problem(404, f"no export job '{job_id[:64]}'")  # another reader's job is not theirs to see
        return status

    @app.get("/v1/exports/{job_id}", tags=["exports"])
    async def get_export(job_id: str, reader: Reader) -> dict[str, Any]:
        """The job's state, progress, queue position, error and result URL."""
        return job_view(await run_in_threadpool(own_job, job_id, reader))

    @app.get("/v1/exports/{job_id}/result", tags=["exports"])
    async def get_result(job_id: str, reader: Reader):
        """The finished file, with its media type and a file name."""
        status = await run_in_threadpool(own_job, job_id, reader)
        if status.state != "done":
            raise Problem(409 if status.state not in FINISHED else 404,
                          f"the job is {status.state}" + (f": {status.error}" if status.error else ""))
        path = service.backend.result(job_id)
        if not path:
            raise Problem(404, "the result has expired; export again")
        # Streamed from the file: ETag, Last-Modified and byte ranges, for viewers that ask.
        return FileResponse(path, media_type=status.media_type,
                            headers={"Content-Disposition": disposition(status.filename)})

    @app.delete("/v1/exports/{job_id}", tags=["exports"])
    async def delete_export(job_id: str, reader: Reader) -> dict[str, Any]:
        """Cancel the job (a running render is stopped); a finished job is left as it is."""
        await run_in_threadpool(own_job, job_id, reader)
        cancelled = await run_in_threadpool(service.backend.cancel, job_id)
        if cancelled is None:  # gone between the check and the cancel
            raise Problem(404, f"no export job '{job_id[:64]}'")
        return job_view(cancelled)

    # -- at once -----------------------------------------------------------------------------
    @app.get("/v1/citations", tags=["citations"])
    async def citations(
        reader: Reader,
        style: Annotated[str, Query(min_length=1, max_length=200)],
        entries: Annotated[str | None, Query(max_length=100_000)] = None,
        range: Annotated[str | None, Query(max_length=500)] = None,
        folder: Annotated[str | None, Query(max_length=200)] = None,
        dates: Annotated[str | None, Query(max_length=64)] = None,
        all: bool = False,
        mode: Literal["bibliography", "note", "in-text"] = "bibliography",
        as_: Annotated[Literal["text", "html"], Query(alias="as")] = "text",
        locator: Annotated[str | None, Query(max_length=100)] = None,
        locale: Annotated[str | None, Query(pattern=LOCALE_PATTERN, max_length=35,
                                            description="citation locale (en-GB, ru-RU, ru); "
                                                        "default: the style's")] = None,
        cluster: Annotated[str | None, Query(min_length=1, max_length=100_000,
                                             description="multi-item citations instead of a selection: "
                                                         "ID,ID;ID@PAGE")] = None,
    ) -> dict[str, Any]:
        """Formatted citations, at once, as ``exporter cite`` prints them (``cluster`` and
        ``locale`` as its ``--cluster`` and ``--locale``)."""
        service.request(reader, format="json")  # a reader unknown to the archive is refused
        req = CiteRequest(style=style, mode=mode, locator=locator, entries=entries, range=range, folder=folder,
                          dates=dates, all=all, corpus=config.corpus_path, user=reader.user, locale=locale,
                          cluster=cluster)

        def run() -> dict[str, Any]:
            with service.cite_lock:
                result = service.engine.citations(req)
            return cite_view(result, as_)

        return await engine_call(run)

    @app.get("/v1/export", tags=["exports"])
    async def export_now(
        http: Request,
        reader: Reader,
        format: Annotated[str, Query(min_length=1, max_length=64)],
        entries: Annotated[str | None, Query(max_length=100_000)] = None,
        range: Annotated[str | None, Query(max_length=500)] = None,
        folder: Annotated[str | None, Query(max_length=200)] = None,
        dates: Annotated[str | None, Query(max_length=64)] = None,
        all: bool = False,
        layer: Literal["translation", "transcription", "both"] = "both",
        pages: Annotated[str | None, Query(max_length=32)] = None,
        annotations: Literal["none", "mine", "visible"] = "visible",
        tags: Annotated[list[str] | None, Query(max_length=100)] = None,
        creators: Annotated[list[str] | None, Query(max_length=100)] = None,
        style: Annotated[str | None, Query(max_length=200)] = None,
        locale: Annotated[str | None, Query(pattern=LOCALE_PATTERN, max_length=35)] = None,
    ):
        """Citation and annotation formats at once, streamed from a spool file (memory stays flat).

        The options the format declares are query parameters of their own name
        (``format=bibliography&style=apa&as=html``); the engine checks their values."""
        fmt = service.engine.plugins.formats
        if format not in fmt:
            raise Problem(400, f"unknown format '{format[:64]}'; known: {', '.join(fmt.names())}")
        if fmt.get(format).material:
            raise Problem(400, f"format '{format}' reproduces archive material: queue it with POST /v1/exports")
        options = {o.name: http.query_params[o.name][:200] for o in fmt.get(format).options
                   if o.name in http.query_params and o.name not in _EXPORT_QUERY}
        req = service.request(reader, format=format, entries=entries, range=range, folder=folder, dates=dates,
                              all=all, layer=layer, pages=pages, annotations=annotations, tags=list(tags or []),
                              creators=list(creators or []), style=style, locale=locale, options=options)
        fd, tmp = tempfile.mkstemp(dir=service.scratch, prefix=".stream-")
        os.close(fd)
        try:
            result = await engine_call(service.engine.export, req, tmp)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        name = suggested_name({"entries": entries, "range": range, "folder": folder, "dates": dates},
                              fmt.get(format).extension)

        def chunks():
            try:
                with open(tmp, "rb") as f:
                    while chunk := f.read(CHUNK):
                        yield chunk
            finally:
                Path(tmp).unlink(missing_ok=True)

        return StreamingResponse(chunks(), media_type=result.media_type,
                                 headers={"Content-Disposition": disposition(name),
                                          "Content-Length": str(result.size)})

    from . import annotations_api, library_api
    from . import reader as reader_page

    annotations_api.install(app, service, identity)
    library_api.install(app, service, identity)
    reader_page.install(app, service, identity)
    return Guard(app, config.service.max_body_bytes, service.metrics)


def cite_view(result: CiteResult, as_: str) -> dict[str, Any]:
    """The lines ``exporter cite`` prints (and its warnings), as JSON."""
    style, mode = result.style, result.mode
    out, warnings = [], []
    for line in result.lines:
        if line.omitted:
            warnings.append(f"entry {line.entry_id}: style '{style.name}' prints nothing for it in {mode} mode")
            continue
        if line.error:
            warnings.append(f"entry {line.entry_id}: style '{style.name}' could not format it ({line.error})")
        out.append({"entry": line.entry_id, "citation": line.html if as_ == "html" else line.text,
                    **({"error": line.error} if line.error else {})})
    return {"style": style.name, "mode": mode, "as": as_, "citations": out, "warnings": warnings}
